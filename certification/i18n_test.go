package certification

import (
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

func TestCertificateTextsAreComplete(t *testing.T) {
	for _, lang := range cc.Languages {
		for key := range texts["en"] {
			if texts[lang][key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		if len(texts[lang]) != len(texts["en"]) {
			t.Errorf("%s has %d texts, English %d", lang, len(texts[lang]), len(texts["en"]))
		}
	}
}
