package courses

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// withFeatures is the sample course with the given lesson features: the text
// and exercise lessons inherit the course's, the video lesson has its own.
func withFeatures(t *testing.T, slug string, course, video []string) []byte {
	t.Helper()
	doc := sampleDoc(t, slug)
	setPath(t, doc, "accessibility.accessibilityFeature", toAny(course), false)
	if video == nil {
		setPath(t, doc, "modules[0].lessons[1].accessibility", nil, true)
		setPath(t, doc, "translations.fr.modules.passwords.lessons.manager-video", nil, true)
	} else {
		setPath(t, doc, "modules[0].lessons[1].accessibility.accessibilityFeature", toAny(video), false)
	}
	b, _ := json.Marshal(doc)
	return b
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestCatalogueAccessibilityFilter(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	prefix := uniqueSlug("a11y")
	courses := map[string][]byte{
		// every lesson has captions and a transcript: the text lessons say
		// so through the course, the video through its own transcript
		prefix + "-all": withFeatures(t, prefix+"-all", []string{"captions", "displayTransformability", "transcript"}, []string{"captions"}),
		// the video lacks captions
		prefix + "-video-gap": withFeatures(t, prefix+"-video-gap", []string{"captions"}, []string{"signLanguage"}),
		// the text lessons lack captions; the video inherits nothing
		prefix + "-text-gap": withFeatures(t, prefix+"-text-gap", []string{"displayTransformability"}, []string{"captions"}),
	}
	for slug, body := range courses {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: body, Type: "application/json"}, 201)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200)
	}
	mine := func(items []Summary) []string {
		var out []string
		for _, s := range slugs(items) {
			if strings.HasPrefix(s, prefix) {
				out = append(out, strings.TrimPrefix(s, prefix))
			}
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"accessibility=captions", []string{"-all"}},
		{"accessibility=captions,transcript", []string{"-all"}},
		{"accessibility=transcript,captions,captions", []string{"-all"}},
		{"accessibility=signLanguage", nil},
		{"accessibility=displayTransformability", nil}, // no video lesson says so
		{"accessibility=", []string{"-all", "-text-gap", "-video-gap"}},
		{"limit=100", []string{"-all", "-text-gap", "-video-gap"}},
		{"accessibility=captions&q=password", []string{"-all"}},
		{"accessibility=captions&audience=professional", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := mine(e.list(t, tt.query+"&limit=100").Items); !slices.Equal(got, tt.want) {
				t.Fatalf("courses %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("the filter is validated", func(t *testing.T) {
		for _, q := range []string{"accessibility=subtitles", "accessibility=captions,Captions", "accessibility=captions,%00"} {
			var p struct {
				Errors []cc.FieldError `json:"errors"`
			}
			e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?" + q}, 422).JSON(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != "accessibility" || !strings.Contains(p.Errors[0].Message, "accessibilityFeature") {
				t.Fatalf("%s: errors %+v", q, p.Errors)
			}
		}
	})
	t.Run("the catalogue serves each course's metadata", func(t *testing.T) {
		for _, s := range e.list(t, "accessibility=captions&limit=100").Items {
			if s.Slug == prefix+"-all" && (s.Accessibility == nil || s.Accessibility.Summary == "" || !slices.Equal(s.Accessibility.Hazards, []string{"none"})) {
				t.Fatalf("summary %+v", s.Accessibility)
			}
		}
	})
	t.Run("a new version that loses a feature leaves the filter", func(t *testing.T) {
		slug := prefix + "-all"
		body := withFeatures(t, slug, []string{"captions", "transcript"}, nil) // the video inherits captions: still all
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Raw: body, Type: "application/json"}, 201)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200)
		if got := mine(e.list(t, "accessibility=captions,transcript&limit=100").Items); !slices.Equal(got, []string{"-all"}) {
			t.Fatalf("after an equivalent version: %v", got)
		}
		body = withFeatures(t, slug, []string{"displayTransformability"}, nil)
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Raw: body, Type: "application/json"}, 201)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200)
		if got := mine(e.list(t, "accessibility=captions&limit=100").Items); got != nil {
			t.Fatalf("after losing captions: %v", got)
		}
		if got := mine(e.list(t, "accessibility=transcript&limit=100").Items); got != nil {
			t.Fatalf("the text lessons offer no transcript: %v", got)
		}
	})
}

func TestOutlineServesAccessibility(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	learner := e.NewUser(t)
	slug := uniqueSlug("a11y-outline")
	o := publishSample(t, e, admin.Token, slug)
	enrol(t, learner.ID, o.VersionID)

	if o.Accessibility == nil || !slices.Equal(o.Accessibility.AccessMode, []string{"textual"}) ||
		!strings.HasPrefix(o.Accessibility.Summary, "Text lessons") {
		t.Fatalf("course accessibility %+v", o.Accessibility)
	}
	text, video := o.Modules[0].Lessons[0], o.Modules[0].Lessons[1]
	if text.Accessibility == nil || !slices.Equal(text.Accessibility.Features, []string{"displayTransformability", "structuralNavigation"}) {
		t.Fatalf("a lesson without metadata should show the course's: %+v", text.Accessibility)
	}
	if video.Accessibility == nil || !slices.Equal(video.Accessibility.Features, []string{"captions", "transcript"}) ||
		!slices.Equal(video.Accessibility.AccessModeSufficient, []string{"auditory,visual", "textual"}) {
		t.Fatalf("video lesson accessibility %+v", video.Accessibility)
	}
	t.Run("summaries are served in the language asked", func(t *testing.T) {
		var fr outline
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "?lang=fr"}, 200).JSON(t, &fr)
		if !strings.HasPrefix(fr.Accessibility.Summary, "Leçons en texte") || !slices.Equal(fr.Accessibility.AccessMode, []string{"textual"}) {
			t.Fatalf("course accessibility in French %+v", fr.Accessibility)
		}
		l := fr.Modules[0].Lessons
		if !strings.HasPrefix(l[0].Accessibility.Summary, "Leçons en texte") || !strings.HasPrefix(l[1].Accessibility.Summary, "Vidéo sous-titrée") ||
			!slices.Equal(l[1].Accessibility.Features, []string{"captions", "transcript"}) {
			t.Fatalf("lessons in French %+v, %+v", l[0].Accessibility, l[1].Accessibility)
		}
		if !strings.HasPrefix(o.Modules[0].Lessons[1].Accessibility.Summary, "Captioned video") {
			t.Fatalf("video lesson in English %+v", o.Modules[0].Lessons[1].Accessibility)
		}
		var lesson Lesson
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "/lessons/" + video.ID + "?lang=fr", Token: learner.Token}, 200).JSON(t, &lesson)
		if lesson.Accessibility == nil || !strings.HasPrefix(lesson.Accessibility.Summary, "Vidéo sous-titrée") {
			t.Fatalf("French video lesson %+v", lesson.Accessibility)
		}
	})
	t.Run("the lesson serves its transcript", func(t *testing.T) {
		var l Lesson
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "/lessons/" + video.ID, Token: learner.Token}, 200).JSON(t, &l)
		if l.Transcript == nil || !strings.Contains(*l.Transcript, "remembers every password") || l.Accessibility == nil {
			t.Fatalf("video lesson %+v", l)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "/lessons/" + text.ID, Token: learner.Token}, 200).JSON(t, &l)
		if l.Transcript != nil {
			t.Fatalf("a text lesson has no transcript: %+v", l)
		}
	})
	t.Run("export keeps the metadata and imports unchanged", func(t *testing.T) {
		var out bytes.Buffer
		if err := ExportDocument(context.Background(), testDB.DB, slug, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"accessibilityFeature: [captions]", "accessModeSufficient: ['auditory,visual', textual]", "transcript: A password manager"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("export lacks %q:\n%s", want, out.String())
			}
		}
		p, err := ParseDocument(out.Bytes(), FormatYAML)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.mod.Store.Import(context.Background(), p, ImportOptions{Mode: ModeReplace})
		if err != nil || res.Change != ChangeUnchanged {
			t.Fatalf("reimport: %+v, %v", res, err)
		}
	})
}

func TestStarterCurriculumIsAnnotated(t *testing.T) {
	files, err := starterFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p, err := ParseDocument(f.Body, FormatYAML)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		d := p.Doc
		if d.Accessibility == nil || d.Accessibility.Summary == "" || len(d.Accessibility.AccessMode) == 0 ||
			len(d.Accessibility.Hazards) == 0 || len(d.Accessibility.AccessModeSufficient) == 0 {
			t.Errorf("%s: course accessibility %+v", f.Name, d.Accessibility)
		}
		for lang, tr := range d.Translations {
			if tr.Accessibility == nil || tr.Accessibility.Summary == "" {
				t.Errorf("%s: the %s translation lacks the accessibility summary", f.Name, lang)
			}
		}
		for _, m := range d.Modules {
			for _, l := range m.Lessons {
				if l.Accessibility == nil || len(l.Accessibility.Features) == 0 || len(l.Accessibility.AccessMode) == 0 {
					t.Errorf("%s: lesson %s has no accessibility metadata", f.Name, l.Key)
				}
				headings := strings.HasPrefix(l.Content, "#") || strings.Contains(l.Content, "\n#")
				if headings != slices.Contains(l.Accessibility.Features, "structuralNavigation") {
					t.Errorf("%s: lesson %s: structuralNavigation claimed %v, headings %v", f.Name, l.Key, !headings, headings)
				}
			}
		}
	}
}
