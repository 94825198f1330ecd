package courses

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// An assessment bank's translation is kept by import and export like a
// quiz's: exporting gives it back, and re-importing the export changes nothing.
func TestAssessmentTranslationRoundTrip(t *testing.T) {
	ctx := context.Background()
	slug := uniqueSlug("bank-fr")
	doc := sampleDoc(t, slug)
	setPath(t, doc, "assessment", map[string]any{"draw": 1, "bank": bankOf(2)}, false)
	setPath(t, doc, "translations.fr.assessment.bank.b2", map[string]any{"text": "Question traduite", "options": map[string]any{"a": "Juste"}}, false)
	body, _ := json.Marshal(doc)
	if err := ImportPath(ctx, testDB.DB, writeFile(t, slug+".json", string(body)), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ExportDocument(ctx, testDB.DB, slug, &out); err != nil {
		t.Fatal(err)
	}
	exported, err := ParseDocument(out.Bytes(), FormatYAML)
	if err != nil {
		t.Fatalf("exported document does not validate: %s", describe(err))
	}
	tr := exported.Doc.Translations["fr"]
	if tr == nil || tr.Assessment == nil || tr.Assessment.Bank["b2"] == nil ||
		tr.Assessment.Bank["b2"].Text != "Question traduite" || tr.Assessment.Bank["b2"].Options["a"] != "Juste" {
		t.Fatalf("export lost the bank's translation:\n%s", out.String())
	}
	before := versionCount(t, slug)
	var report bytes.Buffer
	if err := ImportPath(ctx, testDB.DB, writeFile(t, slug+".yaml", out.String()), &report); err != nil {
		t.Fatal(err)
	}
	if versionCount(t, slug) != before || !strings.Contains(report.String(), "unchanged") {
		t.Fatalf("re-importing the export changed the course: %s", report.String())
	}
}
