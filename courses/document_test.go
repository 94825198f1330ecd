package courses

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	cc "github.com/cybercampus/cybercampus"
)

func TestValidateDocument(t *testing.T) {
	type change struct {
		path  string
		value any
		del   bool
	}
	tests := []struct {
		name      string
		changes   []change
		wantField string
		wantMsg   string // part of the message, when it matters
	}{
		{"missing title", []change{{path: "title", del: true}}, "title", "required"},
		{"missing modules", []change{{path: "modules", del: true}}, "modules", "required"},
		{"missing lesson kind", []change{{path: "modules[0].lessons[0].kind", del: true}}, "modules[0].lessons[0].kind", "required"},
		{"bad slug", []change{{path: "slug", value: "Not A Slug"}}, "slug", "pattern"},
		{"slug too short", []change{{path: "slug", value: "ab"}}, "slug", ""},
		{"unknown level", []change{{path: "level", value: "expert"}}, "level", ""},
		{"unknown audience", []change{{path: "audiences", value: []any{"pupils"}}}, "audiences[0]", ""},
		{"repeated audience", []change{{path: "audiences", value: []any{"youth", "youth"}}}, "audiences", ""},
		{"unknown default language", []change{{path: "language", value: "de"}}, "language", ""},
		{"unknown field", []change{{path: "modules[0].colour", value: "red"}}, "modules[0].colour", "not a field"},
		{"duration as text", []change{{path: "modules[0].lessons[0].duration_minutes", value: "ten"}}, "modules[0].lessons[0].duration_minutes", ""},
		{"duration zero", []change{{path: "modules[0].lessons[0].duration_minutes", value: 0}}, "modules[0].lessons[0].duration_minutes", ""},
		{"duplicate module key", []change{{path: "modules[1].key", value: "passwords"}}, "modules[1].key", "duplicate"},
		{"duplicate lesson key across modules", []change{{path: "modules[1].lessons[0].key", value: "length"}}, "modules[1].lessons[0].key", "duplicate"},
		{"duplicate question key", []change{{path: "modules[0].quiz.questions[1].key", value: "q1"}}, "modules[0].quiz.questions[1].key", "duplicate"},
		{"duplicate option key", []change{{path: "modules[0].quiz.questions[1].options[1].key", value: "a"}}, "modules[0].quiz.questions[1].options[1].key", "duplicate"},
		{"single question with two correct options", []change{{path: "modules[0].quiz.questions[0].options[1].correct", value: true}},
			"modules[0].quiz.questions[0].options", "exactly one"},
		{"no correct option", []change{{path: "modules[0].quiz.questions[1].options[0].correct", value: false},
			{path: "modules[0].quiz.questions[1].options[1].correct", value: false}}, "modules[0].quiz.questions[1].options", "no correct option"},
		{"one option only", []change{{path: "modules[0].quiz.questions[0].options", value: []any{map[string]any{"key": "a", "text": "A", "correct": true}}}},
			"modules[0].quiz.questions[0].options", ""},
		{"unknown question kind", []change{{path: "modules[0].quiz.questions[0].kind", value: "essay"}}, "modules[0].quiz.questions[0].kind", ""},
		{"video without URL", []change{{path: "modules[0].lessons[1].video_url", del: true}}, "modules[0].lessons[1].video_url", "required"},
		{"video over http", []change{{path: "modules[0].lessons[1].video_url", value: "http://videos.example.org/x.mp4"}}, "modules[0].lessons[1].video_url", "https"},
		{"URL on a text lesson", []change{{path: "modules[0].lessons[0].video_url", value: "https://videos.example.org/x.mp4"}}, "modules[0].lessons[0].video_url", "only allowed"},
		{"text lesson without content", []change{{path: "modules[0].lessons[0].content", del: true}}, "modules[0].lessons[0].content", "required"},
		{"unknown lesson kind", []change{{path: "modules[0].lessons[0].kind", value: "podcast"}}, "modules[0].lessons[0].kind", ""},
		{"pass_score over 100", []change{{path: "modules[0].quiz.pass_score", value: 101}}, "modules[0].quiz.pass_score", ""},
		{"pass_score negative", []change{{path: "modules[0].quiz.pass_score", value: -1}}, "modules[0].quiz.pass_score", ""},
		{"max_attempts zero", []change{{path: "modules[0].quiz.max_attempts", value: 0}}, "modules[0].quiz.max_attempts", ""},
		{"unknown review policy", []change{{path: "modules[0].quiz.review", value: "after_lunch"}}, "modules[0].quiz.review", ""},
		{"draw larger than the pool", []change{{path: "modules[0].quiz.draw", value: 3}}, "modules[0].quiz.draw", "pool of 2"},
		{"draw zero", []change{{path: "modules[0].quiz.draw", value: 0}}, "modules[0].quiz.draw", ""},
		{"draw as text", []change{{path: "modules[0].quiz.draw", value: "two"}}, "modules[0].quiz.draw", ""},
		{"translation for an unknown language", []change{{path: "translations.de", value: map[string]any{"title": "Passwort"}}}, "translations.de", "not a supported language"},
		{"translation into the default language", []change{{path: "translations.en", value: map[string]any{"title": "Passwords"}}}, "translations.en", "default language"},
		{"translation of an unknown module", []change{{path: "translations.fr.modules.nope", value: map[string]any{"title": "Non"}}}, "translations.fr.modules.nope", "no module"},
		{"translation of an unknown lesson", []change{{path: "translations.fr.modules.passwords.lessons.nope", value: map[string]any{"title": "Non"}}},
			"translations.fr.modules.passwords.lessons.nope", "no lesson"},
		{"translation of an unknown question", []change{{path: "translations.fr.modules.passwords.quiz.questions.q9", value: map[string]any{"text": "Non"}}},
			"translations.fr.modules.passwords.quiz.questions.q9", "no question"},
		{"translation of an unknown option", []change{{path: "translations.fr.modules.passwords.quiz.questions.q1.options", value: map[string]any{"z": "Non"}}},
			"translations.fr.modules.passwords.quiz.questions.q1.options.z", "no option"},
		{"translation of a quiz the module lacks", []change{{path: "translations.fr.modules.practice.quiz", value: map[string]any{"title": "Quiz"}}},
			"translations.fr.modules.practice.quiz", "no quiz"},
		{"translated outcomes of another length", []change{{path: "translations.fr.outcomes", value: []any{"Un seul"}}}, "translations.fr.outcomes", "2"},
		{"unknown field in a translation", []change{{path: "translations.fr.subtitle", value: "x"}}, "translations.fr.subtitle", "not a field"},
		{"assessment draw larger than its bank", []change{{path: "assessment", value: map[string]any{"draw": 3, "bank": bankOf(2)}}}, "assessment.draw", "only 2"},
		{"assessment draw zero", []change{{path: "assessment", value: map[string]any{"draw": 0, "bank": bankOf(2)}}}, "assessment.draw", ""},
		{"assessment without a bank", []change{{path: "assessment", value: map[string]any{"draw": 1}}}, "assessment.bank", "required"},
		{"assessment item without a correct option", []change{{path: "assessment", value: map[string]any{"draw": 1, "bank": []any{
			map[string]any{"key": "b1", "text": "Q", "kind": "single", "options": []any{map[string]any{"key": "a", "text": "A"}, map[string]any{"key": "b", "text": "B"}}}}}}},
			"assessment.bank[0].options", "no correct option"},
		{"duplicate assessment item key", []change{{path: "assessment", value: map[string]any{"draw": 1, "bank": append(bankOf(1), bankOf(1)...)}}}, "assessment.bank[1].key", "duplicate"},
		{"translation of the assessment of a course without one", []change{{path: "translations.fr.assessment.bank.b1", value: map[string]any{"text": "Non"}}},
			"translations.fr.assessment", "no assessment"},
		{"translation of an unknown assessment item", []change{{path: "assessment", value: map[string]any{"draw": 1, "bank": bankOf(2)}},
			{path: "translations.fr.assessment.bank.b9", value: map[string]any{"text": "Non"}}}, "translations.fr.assessment.bank.b9", "no item"},
		{"translation of an unknown assessment option", []change{{path: "assessment", value: map[string]any{"draw": 1, "bank": bankOf(2)}},
			{path: "translations.fr.assessment.bank.b2.options", value: map[string]any{"z": "Non"}}}, "translations.fr.assessment.bank.b2.options.z", "no option"},
		{"unknown field in an assessment translation", []change{{path: "assessment", value: map[string]any{"draw": 1, "bank": bankOf(2)}},
			{path: "translations.fr.assessment.draw", value: 2}}, "translations.fr.assessment.draw", "not a field"},
		{"video without transcript", []change{{path: "modules[0].lessons[1].transcript", del: true}}, "modules[0].lessons[1].transcript", "required for a video lesson"},
		{"video with a blank transcript", []change{{path: "modules[0].lessons[1].transcript", value: "  "}}, "modules[0].lessons[1].transcript", "required for a video lesson"},
		{"transcript on a text lesson", []change{{path: "modules[0].lessons[0].transcript", value: "words"}}, "modules[0].lessons[0].transcript", "only allowed"},
		{"translated transcript of a text lesson", []change{{path: "translations.fr.modules.passwords.lessons.length.transcript", value: "mots"}},
			"translations.fr.modules.passwords.lessons.length.transcript", "only allowed"},
		{"image without alt text", []change{{path: "modules[0].lessons[0].content", value: "# Look\n\n![](https://img.example.org/lock.png)"}},
			"modules[0].lessons[0].content", `image 1 ("https://img.example.org/lock.png") of lesson "length" has no alternative text`},
		{"second image without alt text", []change{{path: "modules[1].lessons[0].content", value: "![A padlock](a.png) then ![ ](b.png)"}},
			"modules[1].lessons[0].content", `image 2 ("b.png") of lesson "make-one"`},
		{"reference image without alt text", []change{{path: "modules[1].lessons[0].content", value: "![][lock]\n\n[lock]: lock.png"}},
			"modules[1].lessons[0].content", `image 1 (reference [lock]) of lesson "make-one"`},
		{"HTML image without alt", []change{{path: "modules[1].lessons[0].content", value: `Look: <img src="lock.png">`}},
			"modules[1].lessons[0].content", `image 1 ("lock.png") of lesson "make-one"`},
		{"HTML image with empty alt", []change{{path: "modules[1].lessons[0].content", value: `<IMG alt="" src='lock.png'>`}},
			"modules[1].lessons[0].content", `image 1 ("lock.png")`},
		{"image without alt text in a transcript", []change{{path: "modules[0].lessons[1].transcript", value: "Words ![](slide.png)"}},
			"modules[0].lessons[1].transcript", `lesson "manager-video"`},
		{"image without alt text in a translation", []change{{path: "translations.fr.modules.passwords.lessons.length.content", value: "![](cadenas.png)"}},
			"translations.fr.modules.passwords.lessons.length.content", `image 1 ("cadenas.png") of lesson "length"`},
		{"unknown accessibility feature", []change{{path: "accessibility.accessibilityFeature", value: []any{"captions", "subtitles"}}},
			"accessibility.accessibilityFeature[1]", `"subtitles" is not an accessibilityFeature term`},
		{"unknown hazard", []change{{path: "modules[0].lessons[1].accessibility.accessibilityHazard", value: []any{"loud"}}},
			"modules[0].lessons[1].accessibility.accessibilityHazard[0]", "not an accessibilityHazard term"},
		{"unknown access mode", []change{{path: "accessibility.accessMode", value: []any{"smell"}}}, "accessibility.accessMode[0]", "not an accessMode term"},
		{"unknown sufficient access mode", []change{{path: "accessibility.accessModeSufficient", value: []any{"textual,colorDependent"}}},
			"accessibility.accessModeSufficient[0]", "not a sufficient access mode"},
		{"repeated feature", []change{{path: "accessibility.accessibilityFeature", value: []any{"captions", "captions"}}}, "accessibility.accessibilityFeature", ""},
		{"feature none with others", []change{{path: "accessibility.accessibilityFeature", value: []any{"none", "captions"}}}, "accessibility.accessibilityFeature", `"none" cannot`},
		{"hazard and its absence", []change{{path: "accessibility.accessibilityHazard", value: []any{"flashing", "noFlashingHazard"}}}, "accessibility.accessibilityHazard", "more than one"},
		{"hazard none with others", []change{{path: "accessibility.accessibilityHazard", value: []any{"none", "sound"}}}, "accessibility.accessibilityHazard", `"none" and "unknown"`},
		{"empty accessibility summary", []change{{path: "accessibility.accessibilitySummary", value: ""}}, "accessibility.accessibilitySummary", ""},
		{"translated summary of a course without one", []change{{path: "accessibility", del: true}},
			"translations.fr.accessibility.accessibilitySummary", "does not have"},
		{"translated summary of a lesson without one", []change{{path: "translations.fr.modules.passwords.lessons.length.accessibility", value: map[string]any{"accessibilitySummary": "Texte"}}},
			"translations.fr.modules.passwords.lessons.length.accessibility.accessibilitySummary", `lesson "length" does not have`},
		{"unknown field in a translated accessibility", []change{{path: "translations.fr.accessibility.accessMode", value: []any{"textual"}}},
			"translations.fr.accessibility.accessMode", "not a field"},
		{"unknown accessibility field", []change{{path: "modules[0].lessons[0].accessibility.accessibilityAPI", value: []any{"ARIA"}}},
			"modules[0].lessons[0].accessibility.accessibilityAPI", "not a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sampleDoc(t, "password-basics")
			for _, c := range tt.changes {
				setPath(t, doc, c.path, c.value, c.del)
			}
			body, _ := json.Marshal(doc)
			_, err := ParseDocument(body, FormatJSON)
			var e *cc.Error
			if !errors.As(err, &e) || e.Code != cc.EINVALID {
				t.Fatalf("got %v, want a 422 naming %s", err, tt.wantField)
			}
			for _, f := range e.Fields {
				if f.Field == tt.wantField && strings.Contains(f.Message, tt.wantMsg) {
					return
				}
			}
			t.Fatalf("no problem %q containing %q among %+v", tt.wantField, tt.wantMsg, e.Fields)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	doc := sampleDoc(t, "password-basics")
	setPath(t, doc, "title", nil, true)
	setPath(t, doc, "modules[0].quiz.pass_score", 500, false)
	setPath(t, doc, "modules[1].lessons[0].kind", "video", false)
	body, _ := json.Marshal(doc)
	_, err := ParseDocument(body, FormatJSON)
	var e *cc.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	want := []string{"modules[0].quiz.pass_score", "modules[1].lessons[0].transcript", "modules[1].lessons[0].video_url", "title"}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields %v, want %v in document order", got, want)
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		format string
		code   string
	}{
		{"broken JSON", `{"slug": `, FormatJSON, cc.EBADREQUEST},
		{"two JSON values", `{} {}`, FormatJSON, cc.EBADREQUEST},
		{"empty JSON", ``, FormatJSON, cc.EBADREQUEST},
		{"broken YAML", "slug: [unclosed", FormatYAML, cc.EBADREQUEST},
		{"NUL character", "slug: \x00", FormatYAML, cc.EBADREQUEST},
		{"JSON array", `[1, 2]`, FormatJSON, cc.EINVALID},
		{"YAML scalar", `just text`, FormatYAML, cc.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDocument([]byte(tt.body), tt.format)
			if got := cc.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

func TestSameDocumentHashesEqualInYAMLAndJSON(t *testing.T) {
	fromYAML, err := ParseDocument(sampleBody("password-basics"), FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	doc := sampleDoc(t, "password-basics")
	setPath(t, doc, "modules[0].quiz.questions[0].options[1].correct", false, false) // explicit default
	setPath(t, doc, "modules[0].quiz.review", "after_pass_or_last_attempt", false)   // explicit default
	body, _ := json.MarshalIndent(doc, "", "    ")
	fromJSON, err := ParseDocument(body, FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	if fromYAML.Hash != fromJSON.Hash {
		t.Fatal("the same course written as YAML and as JSON hashes differently")
	}
	setPath(t, doc, "title", "Password basics, revised", false)
	body, _ = json.Marshal(doc)
	changed, err := ParseDocument(body, FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Hash == fromJSON.Hash {
		t.Fatal("a changed title keeps the hash")
	}
	for path, value := range map[string]any{"modules[0].quiz.review": "never", "modules[0].quiz.draw": 1} {
		doc := sampleDoc(t, "password-basics")
		setPath(t, doc, path, value, false)
		body, _ := json.Marshal(doc)
		p, err := ParseDocument(body, FormatJSON)
		if err != nil {
			t.Fatalf("%s %v: %v", path, value, err)
		}
		if p.Hash == fromJSON.Hash {
			t.Fatalf("setting %s keeps the hash", path)
		}
	}
}

// TestStarterDocumentsMatchJSONSchema checks every starter document against
// course.schema.json with a validator of its own, so the published schema
// and the starter curriculum cannot drift apart.
func TestStarterDocumentsMatchJSONSchema(t *testing.T) {
	raw, err := os.ReadFile("course.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("course.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("course.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	files, err := starterFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 9 {
		t.Errorf("%d starter documents, want the 9 courses", len(files))
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			var v any
			if err := yaml.Unmarshal(f.Body, &v); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(v)
			inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("JSON Schema: %v", err)
			}
			p, err := ParseDocument(f.Body, FormatYAML)
			if err != nil {
				t.Fatalf("server validation: %s", describe(err))
			}
			if p.Doc.Slug+".yaml" != f.Name {
				t.Errorf("file %s holds course %s", f.Name, p.Doc.Slug)
			}
		})
	}
}

func TestSampleValidatesAgainstJSONSchema(t *testing.T) {
	if problems := schemaProblems(mustJSON(t, sampleDoc(t, "password-basics"))); len(problems) > 0 {
		t.Fatalf("sample document: %+v", problems)
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// bankOf makes n well-formed assessment items keyed b1..bn.
func bankOf(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"key": fmt.Sprintf("b%d", i+1), "text": "Question", "kind": "single", "options": []any{
			map[string]any{"key": "a", "text": "Right", "correct": true}, map[string]any{"key": "b", "text": "Wrong"}}}
	}
	return out
}

// The youth, professional and MSME starter courses each carry a pre-/post-test
// bank large enough for a post-test that repeats none of the pre-test's items.
func TestStarterAssessmentBanks(t *testing.T) {
	for _, slug := range []string{"online-safety-secondary", "incident-response-fundamentals", "protecting-small-business"} {
		raw, err := starterFS.ReadFile("starter/" + slug + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseDocument(raw, FormatYAML)
		if err != nil {
			t.Fatalf("%s: %s", slug, describe(err))
		}
		a := p.Doc.Assessment
		if a == nil || len(a.Bank) < 20 || len(a.Bank) < 2*a.Draw {
			t.Errorf("%s: bank %+v is smaller than 20 items or twice its draw", slug, a)
			continue
		}
		if slug == "protecting-small-business" {
			checkBankTranslated(t, slug, a.Bank, p.Doc.Translations["fr"])
		}
	}
}

// checkBankTranslated asks for every item, explanation and option of bank in tr.
func checkBankTranslated(t *testing.T, slug string, bank []DocQuestion, tr *Translation) {
	t.Helper()
	if tr == nil || tr.Assessment == nil {
		t.Errorf("%s: the bank has no translation", slug)
		return
	}
	for _, q := range bank {
		qt := tr.Assessment.Bank[q.Key]
		if qt == nil || qt.Text == "" || qt.Explanation == "" {
			t.Errorf("%s: bank item %s is not translated", slug, q.Key)
			continue
		}
		for _, o := range q.Options {
			if qt.Options[o.Key] == "" {
				t.Errorf("%s: option %s of bank item %s is not translated", slug, o.Key, q.Key)
			}
		}
	}
}
