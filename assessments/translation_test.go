package assessments_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// translatedCourse imports a course whose bank of four items is translated
// into French except item i4, and option "b" of item i3.
func translatedCourse(t *testing.T) string {
	t.Helper()
	d := &courses.Document{Slug: "translated-" + pgtest.RandomSuffix(), Title: "Impact course", Summary: "A course to measure.",
		Level: "beginner", Audiences: []string{"youth"}, Language: "en",
		Modules: []courses.DocModule{{Key: "m1", Title: "Module", Lessons: []courses.DocLesson{
			{Key: "l1", Title: "One", Kind: "text", DurationMinutes: 5, Content: "First."}}}},
		Assessment: &courses.DocAssessment{Draw: 4, Bank: bank(4)}}
	fr := map[string]*courses.QuestionTranslation{}
	for _, k := range []string{"i1", "i2", "i3"} {
		fr[k] = &courses.QuestionTranslation{Text: "Question " + k + " ?", Options: map[string]string{"a": "Juste", "b": "Faux"}}
	}
	delete(fr["i3"].Options, "b")
	d.Translations = map[string]*courses.Translation{"fr": {Title: "Cours", Assessment: &courses.AssessmentTranslation{Bank: fr}}}
	importDoc(t, d)
	return d.Slug
}

func TestTestsAreServedInTheLearnersLanguage(t *testing.T) {
	e := newEnv(t)
	slug := translatedCourse(t)
	u := e.NewUser(t)
	enrol(t, e, u, slug)
	type shown struct {
		Language  string `json:"language"`
		Questions []struct {
			ID      string `json:"id"`
			Text    string `json:"text"`
			Options []struct {
				ID   string `json:"id"`
				Text string `json:"text"`
			} `json:"options"`
		} `json:"questions"`
	}
	get := func(lang string) shown {
		t.Helper()
		var s shown
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug + "/assessments/pre" + lang, Token: u.Token}, http.StatusOK).JSON(t, &s)
		return s
	}
	// text of each item and option as served, keyed "i1" and "i1/a".
	texts := func(s shown) map[string]string {
		out := map[string]string{}
		for _, q := range s.Questions {
			out[q.ID] = q.Text
			for _, o := range q.Options {
				out[q.ID+"/"+o.ID] = o.Text
			}
		}
		return out
	}
	tests := []struct {
		name, query, language string
		want                  map[string]string
	}{
		{"French where translated, English where not", "?lang=fr", "fr", map[string]string{
			"i1": "Question i1 ?", "i1/a": "Juste", "i1/b": "Faux", "i3": "Question i3 ?", "i3/a": "Juste", "i3/b": "Wrong",
			"i4": "Item 4?", "i4/a": "Right"}},
		{"the default language without ?lang", "", "en", map[string]string{"i1": "Item 1?", "i1/a": "Right", "i3/b": "Wrong"}},
		{"the default language for a language the course lacks", "?lang=es", "en", map[string]string{"i1": "Item 1?", "i2/b": "Wrong"}},
	}
	var order []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := get(tt.query)
			got := texts(s)
			if s.Language != tt.language || len(s.Questions) != 4 {
				t.Fatalf("served in %q with %d questions, want %q and 4", s.Language, len(s.Questions), tt.language)
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
			ids := []string{}
			for _, q := range s.Questions {
				ids = append(ids, q.ID)
			}
			if order == nil {
				order = ids
			} else if !slices.Equal(ids, order) {
				t.Errorf("the language changed the draw: %v then %v", order, ids)
			}
		})
	}
	t.Run("an attempt on the French test is graded by key", func(t *testing.T) {
		answers := map[string][]string{"i1": {"a"}, "i2": {"a"}, "i3": {"b"}, "i4": {"b"}}
		got := submit(t, e, u, slug, "pre", map[string]any{"answers": answers}, http.StatusCreated)
		if got["score"] != 50.0 {
			t.Fatalf("score %v, want 50", got["score"])
		}
	})
	t.Run("an unsupported language is a 422", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug + "/assessments/pre?lang=de", Token: u.Token}, http.StatusUnprocessableEntity)
	})
}
