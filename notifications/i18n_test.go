package notifications

import (
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

// Every text of a notification or email exists in the six UN languages.
func TestCatalogIsComplete(t *testing.T) {
	for _, lang := range cc.Languages {
		for key := range catalog["en"] {
			if catalog[lang][key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
	}
}
