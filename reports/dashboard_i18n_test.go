package reports

import (
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

func TestDashboardTextsAreComplete(t *testing.T) {
	for _, lang := range cc.Languages {
		for key := range dashboardTexts["en"] {
			if dashboardTexts[lang][key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		if len(dashboardTexts[lang]) != len(dashboardTexts["en"]) {
			t.Errorf("%s has %d texts, English %d", lang, len(dashboardTexts[lang]), len(dashboardTexts["en"]))
		}
	}
}
