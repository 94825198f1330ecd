package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cybercampus/cybercampus/openapi"
)

var fiberParam = regexp.MustCompile(`:[A-Za-z_]+|\{[^}]+\}`)

// TestOpenAPIDescribesEveryRoute loads and validates the embedded OpenAPI
// document and fails when a registered route is missing from it.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+fiberParam.ReplaceAllString(path, "{}")] = true
		}
	}
	e, err := openEnv(context.Background(), testEnv(10, nil), io.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	app := e.newHTTP(e.newHandlers())
	checked := 0
	for _, r := range app.GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "USE" || r.Method == "OPTIONS" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		key := r.Method + " " + fiberParam.ReplaceAllString(r.Path, "{}")
		checked++
		if !documented[key] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d routes registered; the app was not built", checked)
	}
}
