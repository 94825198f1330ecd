package courses

import (
	"encoding/json"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

// FuzzParseDocument feeds hostile course documents to the parser behind
// POST/PUT /v1/courses and `courses import`. Whatever the input, the parser
// answers a 400 or a 422 (never another error, never a panic), and a document
// it accepts survives export: its YAML (what `courses export` writes) and its
// JSON both parse again to a valid document with the same hash.
func FuzzParseDocument(f *testing.F) {
	// The sample course stands for the curriculum (modules, every lesson kind,
	// a quiz, a translation); the starter documents, tens of KiB each, would
	// make every mutation and minimisation slow.
	f.Add([]byte(sampleBody("password-basics")), true)
	sample, _ := json.Marshal(sampleDoc(f, "password-basics"))
	f.Add(sample, false)
	for _, s := range []string{`{}`, `[]`, `null`, `"x"`, `{"slug": 1}`, `slug: [a`, "a: &a [*a]", `{"modules": [[[[[]]]]]}`,
		"slug: x\nmodules: !!binary aGk=", "? [a, b]\n: c", "title: 1e400", `{"title": 1e400}`, "--- \n...\n---\n"} {
		f.Add([]byte(s), !strings.HasPrefix(s, "{"))
	}
	f.Fuzz(func(t *testing.T, body []byte, isYAML bool) {
		format := FormatJSON
		if isYAML {
			format = FormatYAML
		}
		p, err := ParseDocument(body, format)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if p.Doc == nil || !json.Valid(p.JSON) || len(p.Hash) != 64 {
			t.Fatalf("accepted document without its JSON or hash: %+v", p)
		}
		out, err := p.Doc.YAML()
		if err != nil {
			t.Fatalf("export of an accepted document: %v", err)
		}
		again, err := ParseDocument(out, FormatYAML)
		if err != nil {
			t.Fatalf("exported YAML does not parse again: %v\n%s", err, out)
		}
		if again.Hash != p.Hash {
			t.Fatalf("hash changed through YAML export:\nbefore %s\nafter  %s", mustJSON(t, p.Doc), mustJSON(t, again.Doc))
		}
		asJSON, _ := json.Marshal(p.Doc)
		again, err = ParseDocument(asJSON, FormatJSON)
		if err != nil {
			t.Fatalf("the typed document as JSON does not parse again: %v\n%s", err, asJSON)
		}
		if again.Hash != p.Hash {
			t.Fatalf("hash changed through JSON: %s", asJSON)
		}
	})
}

// checkRefusal fails unless err is a client error the API renders as 400 or
// 422 with every problem named.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*cc.Error)
	if !ok {
		t.Fatalf("refusal is not a client error (would be a 500): %v", err)
	}
	switch e.Code {
	case cc.EBADREQUEST:
	case cc.EINVALID:
		if len(e.Fields) == 0 {
			t.Fatalf("422 without fields: %v", e)
		}
		for _, fe := range e.Fields {
			if fe.Field == "" || fe.Message == "" {
				t.Fatalf("field error without a path or message: %+v", fe)
			}
		}
	default:
		t.Fatalf("refusal code %q, want bad_request or invalid: %v", e.Code, e)
	}
}

// TestEmptyKeyIsNamed is the case fuzzing found: an unknown empty key was
// reported with an empty field name.
func TestEmptyKeyIsNamed(t *testing.T) {
	for _, body := range []string{`{"": 1}`, `{"slug": "x", "modules": [{"": 1}]}`} {
		_, err := ParseDocument([]byte(body), FormatJSON)
		e, ok := err.(*cc.Error)
		if !ok || e.Code != cc.EINVALID {
			t.Fatalf("%s: %v", body, err)
		}
		found := false
		for _, fe := range e.Fields {
			if fe.Field == "" || strings.HasSuffix(fe.Field, ".") {
				t.Fatalf("%s: unnamed field in %+v", body, e.Fields)
			}
			found = found || strings.HasSuffix(fe.Field, `""`)
		}
		if !found {
			t.Fatalf("%s: the empty key is not named: %+v", body, e.Fields)
		}
	}
}
