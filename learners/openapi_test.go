package learners_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cybercampus/cybercampus/openapi"
)

// TestOpenAPIDescribesLearnersRoutes fails when a route of this package is
// missing from the OpenAPI document.
func TestOpenAPIDescribesLearnersRoutes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:[A-Za-z_]+|\{[^}]+\}`)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+param.ReplaceAllString(path, "{}")] = true
		}
	}
	env := newLearningEnv(t)
	checked := 0
	for _, r := range env.App.GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "USE" || r.Method == "OPTIONS" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		checked++
		if key := r.Method + " " + param.ReplaceAllString(r.Path, "{}"); !documented[key] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d routes checked", checked)
	}
}
