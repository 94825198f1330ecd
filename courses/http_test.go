package courses

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

type summaryPage struct {
	Items      []Summary `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

func (e *testEnv) list(t *testing.T, query string) summaryPage {
	t.Helper()
	var p summaryPage
	e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?" + query}, 200).JSON(t, &p)
	return p
}

func slugs(items []Summary) []string {
	var out []string
	for _, s := range items {
		out = append(out, s.Slug)
	}
	return out
}

var starterSlugs = []string{
	"cyber-hygiene-university", "cybersecurity-careers-women", "incident-response-fundamentals",
	"national-cirt-setup", "online-safety-secondary", "protecting-small-business",
	"ransomware-readiness-msme", "safe-online-kids", "security-risk-management",
}

func TestCatalogueList(t *testing.T) {
	seeded(t)
	e := newEnv(t)
	all := e.list(t, "limit=200")
	for _, s := range starterSlugs {
		if !slices.Contains(slugs(all.Items), s) {
			t.Errorf("catalogue lacks starter course %s", s)
		}
	}
	if !slices.IsSorted(slugs(all.Items)) {
		t.Errorf("catalogue not in slug order: %v", slugs(all.Items))
	}
	tests := []struct {
		name  string
		query string
		keep  func(Summary) bool
	}{
		{"audience filter", "audience=msme", func(s Summary) bool { return slices.Contains(s.Audiences, "msme") }},
		{"level filter", "level=intermediate", func(s Summary) bool { return s.Level == "intermediate" }},
		{"language filter", "language=fr", func(s Summary) bool { return slices.Contains(s.Languages, "fr") }},
		{"combined filters", "audience=professional&language=es", func(s Summary) bool {
			return slices.Contains(s.Audiences, "professional") && slices.Contains(s.Languages, "es")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, s := range all.Items {
				if tt.keep(s) {
					want = append(want, s.Slug)
				}
			}
			got := slugs(e.list(t, tt.query+"&limit=200").Items)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
	t.Run("summary fields", func(t *testing.T) {
		i := slices.Index(slugs(all.Items), "incident-response-fundamentals")
		s := all.Items[i]
		if s.Language != "en" || !slices.Equal(s.Languages, []string{"en", "es"}) || s.ModuleCount == 0 ||
			s.LessonCount < s.ModuleCount || s.DurationMinutes == 0 || s.Version != 1 || s.ID == "" {
			t.Fatalf("summary %+v", s)
		}
	})
}

func TestCataloguePagination(t *testing.T) {
	seeded(t)
	e := newEnv(t)
	for _, query := range []string{"", "q=security", "audience=youth"} {
		t.Run("pages of "+query+" add up to the whole list", func(t *testing.T) {
			whole := slugs(e.list(t, query+"&limit=200").Items)
			var paged []string
			cursor := ""
			for range 20 {
				p := e.list(t, query+"&limit=2&cursor="+url.QueryEscape(cursor))
				paged = append(paged, slugs(p.Items)...)
				if p.NextCursor == nil {
					break
				}
				cursor = *p.NextCursor
			}
			if len(whole) < 3 || !slices.Equal(paged, whole) {
				t.Fatalf("paged %v, whole %v", paged, whole)
			}
		})
	}
	bad := []struct {
		name, query string
		status      int
		field       string
	}{
		{"limit zero", "limit=0", 400, "limit"},
		{"limit too large", "limit=201", 400, "limit"},
		{"limit not a number", "limit=ten", 400, "limit"},
		{"forged cursor", "cursor=not-a-cursor", 400, "cursor"},
		{"unknown audience", "audience=pupils", 422, "audience"},
		{"unknown level", "level=expert", 422, "level"},
		{"unknown language", "language=de", 422, "language"},
		{"query too long", "q=" + strings.Repeat("a", 201), 422, "q"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?" + tt.query}, tt.status)
			if !strings.Contains(string(resp.Body), `"field":"`+tt.field+`"`) {
				t.Fatalf("problem does not name %s: %s", tt.field, resp.Body)
			}
		})
	}
}

func TestCatalogueSearch(t *testing.T) {
	seeded(t)
	e := newEnv(t)
	tests := []struct {
		q     string
		first string
	}{
		{"ransomware", "ransomware-readiness-msme"},
		{"incident response", "incident-response-fundamentals"},
		{"national CIRT", "national-cirt-setup"},
		{"risk assessment", "security-risk-management"},
		{"protéger votre petite entreprise", "protecting-small-business"},
		{"carrières femmes", "cybersecurity-careers-women"},
		{"respuesta a incidentes", "incident-response-fundamentals"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := slugs(e.list(t, "q="+url.QueryEscape(tt.q)).Items)
			if len(got) == 0 || got[0] != tt.first {
				t.Fatalf("results %v, want %s first", got, tt.first)
			}
		})
	}
	t.Run("no match is an empty page", func(t *testing.T) {
		p := e.list(t, "q=xylophone")
		if len(p.Items) != 0 || p.NextCursor != nil {
			t.Fatalf("page %+v", p)
		}
	})
	t.Run("search combines with filters", func(t *testing.T) {
		got := slugs(e.list(t, "q=ransomware&audience=youth").Items)
		if slices.Contains(got, "ransomware-readiness-msme") {
			t.Fatalf("an msme course matched audience=youth: %v", got)
		}
	})
}

type outline struct {
	Outline
	Modules []struct {
		OutlineModule
		Quiz *OutlineQuiz `json:"quiz"`
	} `json:"modules"`
}

func TestOutline(t *testing.T) {
	seeded(t)
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	slug := uniqueSlug("outline")
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: sampleBody(slug), Type: "application/yaml"}, 201)
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200)

	t.Run("outline fields", func(t *testing.T) {
		var o outline
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 200).JSON(t, &o)
		if o.Title != "Password basics" || o.Language != "en" || o.Status != "published" || o.Version != 1 ||
			!slices.Equal(o.Languages, []string{"en", "fr"}) || o.DurationMinutes != 30 || len(o.Outcomes) != 2 {
			t.Fatalf("outline %+v", o.Outline)
		}
		m := o.Modules[0]
		if m.Key != "passwords" || m.Position != 1 || len(m.Lessons) != 2 || m.Lessons[1].Key != "manager-video" ||
			m.Lessons[1].Position != 2 || m.Lessons[1].Kind != "video" || m.Quiz == nil || m.Quiz.QuestionCount != 2 ||
			m.Quiz.PassScore != 70 || m.Quiz.Key != "passwords-check" || o.Modules[1].Quiz != nil {
			t.Fatalf("modules %+v", o.Modules)
		}
	})
	t.Run("translation with fallback says its language", func(t *testing.T) {
		var o outline
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "?lang=fr"}, 200).JSON(t, &o)
		if o.Language != "fr" || o.Title != "Les bases des mots de passe" || o.Summary != "Choose and store strong passwords." ||
			o.Outcomes[0] != "Créer une longue phrase de passe" {
			t.Fatalf("course %+v", o.Outline)
		}
		if o.Modules[0].Title != "Mots de passe" || o.Modules[0].Lessons[0].Title != "La longueur avant la complexité" ||
			o.Modules[0].Lessons[1].Title != "Password managers in action" || o.Modules[1].Title != "Practice" ||
			o.Modules[0].Quiz.Title != "Vérifiez vos connaissances" {
			t.Fatalf("modules %+v", o.Modules)
		}
	})
	t.Run("a language without translation falls back to the default", func(t *testing.T) {
		var o outline
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "?lang=ar"}, 200).JSON(t, &o)
		if o.Language != "en" || o.Title != "Password basics" {
			t.Fatalf("outline %+v", o.Outline)
		}
	})
	t.Run("starter translation", func(t *testing.T) {
		var o outline
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/incident-response-fundamentals?lang=es"}, 200).JSON(t, &o)
		if o.Language != "es" || o.Title != "Fundamentos de la respuesta a incidentes" {
			t.Fatalf("outline %+v", o.Outline)
		}
	})
	errs := []struct {
		name   string
		path   string
		status int
	}{
		{"unsupported language", "/v1/courses/" + slug + "?lang=de", 422},
		{"unknown course", "/v1/courses/no-such-course", 404},
		{"bad version selector", "/v1/courses/" + slug + "?version=first", 422},
		{"draft needs a token", "/v1/courses/" + slug + "?version=draft", 401},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			e.Expect(t, apptest.Request{Method: "GET", Path: tt.path}, tt.status)
		})
	}
}

func TestCatalogueCaching(t *testing.T) {
	seeded(t)
	e := newEnv(t)
	e.mod.Handler.cache.every = CatalogueRecheck
	admin := e.NewUser(t, cc.RoleAdmin)
	for _, path := range []string{"/v1/courses?limit=200", "/v1/courses/incident-response-fundamentals?lang=es"} {
		t.Run(path, func(t *testing.T) {
			first := e.Expect(t, apptest.Request{Method: "GET", Path: path}, 200)
			etag := first.Header.Get("ETag")
			if etag == "" || first.Header.Get("Cache-Control") != "public, max-age=60" {
				t.Fatalf("headers %v", first.Header)
			}
			again := e.Expect(t, apptest.Request{Method: "GET", Path: path}, 200)
			if again.Header.Get("ETag") != etag || string(again.Body) != string(first.Body) {
				t.Fatal("the same request got another representation")
			}
			for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
				resp := e.Expect(t, apptest.Request{Method: "GET", Path: path, Headers: map[string]string{"If-None-Match": inm}}, 304)
				if len(resp.Body) != 0 || resp.Header.Get("ETag") != etag {
					t.Fatalf("If-None-Match %s: 304 with body %q, etag %q", inm, resp.Body, resp.Header.Get("ETag"))
				}
			}
			e.Expect(t, apptest.Request{Method: "GET", Path: path, Headers: map[string]string{"If-None-Match": `"stale"`}}, 200)
		})
	}
	t.Run("a write through the API changes the catalogue at once", func(t *testing.T) {
		before := e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"}, 200)
		slug := uniqueSlug("cached")
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: sampleBody(slug), Type: "application/yaml"}, 201)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200)
		after := e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"}, 200)
		if after.Header.Get("ETag") == before.Header.Get("ETag") || !strings.Contains(string(after.Body), slug) {
			t.Fatal("the catalogue did not change after a publish")
		}
	})
	t.Run("another instance's write shows after the generation is reread", func(t *testing.T) {
		other := newEnv(t) // a second API instance over the same database
		other.mod.Handler.cache.every = CatalogueRecheck
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"}, 200)
		slug := uniqueSlug("elsewhere")
		otherAdmin := other.NewUser(t, cc.RoleAdmin)
		other.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: otherAdmin.Token, Raw: sampleBody(slug), Type: "application/yaml"}, 201)
		other.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: otherAdmin.Token}, 200)
		e.mod.Handler.cache.mu.Lock()
		e.mod.Handler.cache.checkedAt = e.mod.Handler.cache.checkedAt.Add(-CatalogueRecheck) // the interval has passed
		e.mod.Handler.cache.mu.Unlock()
		after := e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"}, 200)
		if !strings.Contains(string(after.Body), slug) {
			t.Fatal("the other instance's course never showed")
		}
	})
}

func TestAdminWrites(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	trainer := e.NewUser(t, cc.RoleTrainer)
	learner := e.NewUser(t)
	slug := uniqueSlug("admin")
	doc := sampleDoc(t, slug)

	t.Run("create needs an admin", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Body: doc}, 401)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: learner.Token, Body: doc}, 403)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: trainer.Token, Body: doc}, 403)
	})
	t.Run("create answers the draft outline", func(t *testing.T) {
		resp := e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Body: doc}, 201)
		var o outline
		resp.JSON(t, &o)
		if o.Status != "draft" || o.Version != 1 || o.Slug != slug || resp.Header.Get("Location") != "/v1/courses/"+slug {
			t.Fatalf("created %+v, location %q", o.Outline, resp.Header.Get("Location"))
		}
	})
	t.Run("a draft is not public", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 404)
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "?version=draft", Token: learner.Token}, 403)
		var o outline
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "?version=draft", Token: trainer.Token}, 200).JSON(t, &o)
		if o.Status != "draft" {
			t.Fatalf("draft outline %+v", o.Outline)
		}
	})
	t.Run("duplicate slug is a conflict", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Body: doc}, 409)
	})
	t.Run("YAML media types are accepted", func(t *testing.T) {
		for _, mt := range []string{"application/yaml", "application/x-yaml", "text/yaml; charset=utf-8"} {
			s := uniqueSlug("yaml")
			e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: sampleBody(s), Type: mt}, 201)
		}
	})
	t.Run("other media types are 415", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: sampleBody("x-y-z"), Type: "text/plain"}, 415)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: sampleBody("x-y-z")}, 415)
	})
	t.Run("an invalid document is a 422 naming paths and writes nothing", func(t *testing.T) {
		bad := sampleDoc(t, uniqueSlug("bad"))
		setPath(t, bad, "modules[0].quiz.questions[0].options[1].correct", true, false)
		setPath(t, bad, "modules[0].lessons[1].video_url", nil, true)
		resp := e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Body: bad}, 422)
		for _, f := range []string{"modules[0].quiz.questions[0].options", "modules[0].lessons[1].video_url"} {
			if !strings.Contains(string(resp.Body), `"field":"`+f+`"`) {
				t.Errorf("422 does not name %s: %s", f, resp.Body)
			}
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM courses WHERE slug = $1`, bad["slug"])
		if n != 0 {
			t.Fatal("an invalid document created a course")
		}
	})
	t.Run("malformed bodies are 400", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: []byte(`{"slug":`), Type: "application/json"}, 400)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: []byte("a: [b"), Type: "application/yaml"}, 400)
	})
	t.Run("publish", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: learner.Token}, 403)
		var o outline
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200).JSON(t, &o)
		if o.Status != "published" || o.Version != 1 {
			t.Fatalf("published %+v", o.Outline)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 200)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 409)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/no-such-course/publish", Token: admin.Token}, 404)
	})
	t.Run("editing a published course makes the next draft", func(t *testing.T) {
		setPath(t, doc, "title", "Password basics, second edition", false)
		var o outline
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Body: doc}, 201).JSON(t, &o)
		if o.Version != 2 || o.Status != "draft" {
			t.Fatalf("after PUT %+v", o.Outline)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 200).JSON(t, &o)
		if o.Version != 1 || o.Title != "Password basics" {
			t.Fatalf("the public saw the draft: %+v", o.Outline)
		}
	})
	t.Run("editing a draft replaces it", func(t *testing.T) {
		setPath(t, doc, "title", "Password basics, third try", false)
		var o outline
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Body: doc}, 200).JSON(t, &o)
		if o.Version != 2 || o.Title != "Password basics, third try" {
			t.Fatalf("after PUT %+v", o.Outline)
		}
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Body: doc}, 200)
		var versions int
		mustGet(t, &versions, `SELECT count(*) FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE c.slug = $1`, slug)
		if versions != 2 {
			t.Fatalf("%d versions, want 2", versions)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "?version=1", Token: admin.Token}, 200).JSON(t, &o)
		if o.Title != "Password basics" {
			t.Fatalf("version 1 changed: %+v", o.Outline)
		}
	})
	t.Run("PUT errors", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: learner.Token, Body: doc}, 403)
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Body: doc}, 401)
		other := sampleDoc(t, "no-such-course")
		e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/no-such-course", Token: admin.Token, Body: other}, 404)
		resp := e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/another-slug", Token: admin.Token, Body: doc}, 422)
		if !strings.Contains(string(resp.Body), `"field":"slug"`) {
			t.Fatalf("slug mismatch not named: %s", resp.Body)
		}
	})
	t.Run("publishing the new version makes it current", func(t *testing.T) {
		var o outline
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200)
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 200).JSON(t, &o)
		if o.Version != 2 || o.Title != "Password basics, third try" {
			t.Fatalf("public outline %+v", o.Outline)
		}
	})
	t.Run("archive takes the course out of the catalogue", func(t *testing.T) {
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/archive", Token: learner.Token}, 403)
		var o outline
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/archive", Token: admin.Token}, 200).JSON(t, &o)
		if o.Status != "archived" {
			t.Fatalf("archived %+v", o.Outline)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 404)
		if strings.Contains(string(e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"}, 200).Body), slug) {
			t.Fatal("an archived course is listed")
		}
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/archive", Token: admin.Token}, 409)
		e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/no-such-course/archive", Token: admin.Token}, 404)
	})
}

// enrol inserts an enrollment in a course version directly, as the learning
// feature would.
func enrol(t *testing.T, userID, versionID string) {
	t.Helper()
	const q = `INSERT INTO enrollments (user_id, course_id, version_id, lessons_total, gender, audience, country,
			region, ldc, sids, lldc, age_band)
		SELECT $1, v.course_id, v.id, v.lesson_count, 'female', 'youth', 'KE', 'africa', false, false, false, '15_24'
		FROM course_versions v WHERE v.id = $2`
	if _, err := testDB.Exec(q, userID, versionID); err != nil {
		t.Fatal(err)
	}
}

// publishSample creates and publishes the sample course, returning its outline.
func publishSample(t *testing.T, e *testEnv, token, slug string) outline {
	t.Helper()
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: token, Raw: sampleBody(slug), Type: "application/yaml"}, 201)
	var o outline
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: token}, 200).JSON(t, &o)
	return o
}

func TestLessonAndQuizAccess(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	trainer := e.NewUser(t, cc.RoleTrainer)
	enrolled, stranger := e.NewUser(t), e.NewUser(t)
	analyst := e.NewUser(t, cc.RoleAnalyst)
	slug := uniqueSlug("access")
	o := publishSample(t, e, admin.Token, slug)
	enrol(t, enrolled.ID, o.VersionID)
	other := publishSample(t, e, admin.Token, uniqueSlug("other"))

	lesson := "/v1/courses/" + slug + "/lessons/" + o.Modules[0].Lessons[0].ID
	quiz := "/v1/quizzes/" + o.Modules[0].Quiz.ID
	for _, path := range []string{lesson, quiz} {
		tests := []struct {
			name   string
			token  string
			status int
		}{
			{"anonymous", "", 401},
			{"learner not enrolled", stranger.Token, 403},
			{"analyst", analyst.Token, 403},
			{"enrolled learner", enrolled.Token, 200},
			{"trainer", trainer.Token, 200},
			{"admin", admin.Token, 200},
		}
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: tt.token}, tt.status)
			})
		}
	}
	notFound := []string{
		"/v1/courses/" + slug + "/lessons/" + other.Modules[0].Lessons[0].ID, // another course's lesson
		"/v1/courses/" + slug + "/lessons/00000000-0000-4000-8000-000000000000",
		"/v1/courses/" + slug + "/lessons/not-a-uuid",
		"/v1/quizzes/00000000-0000-4000-8000-000000000000",
		"/v1/quizzes/not-a-uuid",
	}
	draftSlug := uniqueSlug("draft")
	var draft outline
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: sampleBody(draftSlug), Type: "application/yaml"}, 201).JSON(t, &draft)
	draftLesson := "/v1/courses/" + draftSlug + "/lessons/" + draft.Modules[0].Lessons[0].ID
	draftQuiz := "/v1/quizzes/" + draft.Modules[0].Quiz.ID
	for _, path := range []string{draftLesson, draftQuiz} {
		t.Run("a draft's content is staff-only "+path, func(t *testing.T) {
			e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: stranger.Token}, 404)
			e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: trainer.Token}, 200)
		})
	}
	for _, path := range notFound {
		t.Run("404 "+path, func(t *testing.T) {
			e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: admin.Token}, 404)
		})
	}
	t.Run("lesson content and translation", func(t *testing.T) {
		var l Lesson
		e.Expect(t, apptest.Request{Method: "GET", Path: lesson, Token: enrolled.Token}, 200).JSON(t, &l)
		if l.Key != "length" || !strings.HasPrefix(l.Content, "# Length") || l.Language != "en" || l.VideoURL != nil {
			t.Fatalf("lesson %+v", l)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: lesson + "?lang=fr", Token: enrolled.Token}, 200).JSON(t, &l)
		if l.Language != "fr" || !strings.HasPrefix(l.Content, "# Longueur") || l.Title != "La longueur avant la complexité" {
			t.Fatalf("French lesson %+v", l)
		}
		video := "/v1/courses/" + slug + "/lessons/" + o.Modules[0].Lessons[1].ID + "?lang=fr"
		e.Expect(t, apptest.Request{Method: "GET", Path: video, Token: enrolled.Token}, 200).JSON(t, &l)
		if l.Language != "fr" || l.Title != "Password managers in action" || l.VideoURL == nil || *l.VideoURL != "https://videos.example.org/managers.mp4" {
			t.Fatalf("untranslated video lesson %+v", l)
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: lesson + "?lang=xx", Token: enrolled.Token}, 422)
	})
	t.Run("quiz never leaks answers", func(t *testing.T) {
		for _, lang := range []string{"", "fr"} {
			resp := e.Expect(t, apptest.Request{Method: "GET", Path: quiz + "?lang=" + lang, Token: admin.Token}, 200)
			body := string(resp.Body)
			for _, leak := range []string{"correct", "explanation", "Length matters most", "La longueur compte"} {
				if strings.Contains(body, leak) {
					t.Fatalf("quiz response contains %q: %s", leak, body)
				}
			}
		}
	})
	t.Run("quiz content and translation", func(t *testing.T) {
		var q Quiz
		e.Expect(t, apptest.Request{Method: "GET", Path: quiz + "?lang=fr", Token: enrolled.Token}, 200).JSON(t, &q)
		if q.Language != "fr" || q.Title != "Vérifiez vos connaissances" || q.PassScore != 70 || q.MaxAttempts != 3 || len(q.Questions) != 2 {
			t.Fatalf("quiz %+v", q)
		}
		q1 := q.Questions[0]
		// Options are shuffled per learner and attempt: find them by key.
		text := map[string]string{}
		for _, o := range q1.Options {
			text[o.Key] = o.Text
			if o.ID == "" {
				t.Fatalf("option without id %+v", o)
			}
		}
		if q1.Key != "q1" || q1.Kind != "single" || q1.Text != "Quel mot de passe est le plus fort ?" || len(q1.Options) != 2 ||
			text["a"] != "orange rivière pile agrafe" || text["b"] != "P@ss1" {
			t.Fatalf("question %+v", q1)
		}
		if q.AttemptNumber == nil || *q.AttemptNumber != 1 || q.Review != ReviewAfterPassOrLastAttempt || q.Draw != nil || q.QuestionCount != 2 {
			t.Fatalf("attempt %v, review %q, draw %v, count %d", q.AttemptNumber, q.Review, q.Draw, q.QuestionCount)
		}
		if q.Questions[1].Text != "Where may you keep passwords?" || q.Questions[1].Kind != "multiple" || len(q.Questions[1].Options) != 3 {
			t.Fatalf("untranslated question %+v", q.Questions[1])
		}
	})
}

func TestVersionPinning(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	learner := e.NewUser(t)
	slug := uniqueSlug("pinning")
	v1 := publishSample(t, e, admin.Token, slug)
	enrol(t, learner.ID, v1.VersionID)

	doc := sampleDoc(t, slug)
	setPath(t, doc, "modules[0].lessons[0].title", "Length beats everything", false)
	e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Body: doc}, 201)
	var v2 outline
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200).JSON(t, &v2)

	var current, pinned string
	mustGet(t, &current, `SELECT current_version_id FROM courses WHERE slug = $1`, slug)
	mustGet(t, &pinned, `SELECT version_id FROM enrollments WHERE user_id = $1`, learner.ID)
	if current != v2.VersionID || v2.Version != 2 || current == v1.VersionID {
		t.Fatalf("current version %s, want the new one %s", current, v2.VersionID)
	}
	if pinned != v1.VersionID {
		t.Fatalf("the enrollment moved to version %s", pinned)
	}
	var status string
	mustGet(t, &status, `SELECT status FROM course_versions WHERE id = $1`, v1.VersionID)
	if status != "published" {
		t.Fatalf("version 1 is %s", status)
	}
	e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "/lessons/" + v1.Modules[0].Lessons[0].ID, Token: learner.Token}, 200)
	e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug + "/lessons/" + v2.Modules[0].Lessons[0].ID, Token: learner.Token}, 403)
	var public outline
	e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/" + slug}, 200).JSON(t, &public)
	if public.Version != 2 || public.Modules[0].Lessons[0].Title != "Length beats everything" {
		t.Fatalf("public outline %+v", public.Outline)
	}
}

func TestErrorsAreProblemJSON(t *testing.T) {
	e := newEnv(t)
	resp := e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses/no-such-course"}, http.StatusNotFound)
	var p map[string]any
	if err := json.Unmarshal(resp.Body, &p); err != nil || p["status"] != float64(404) {
		t.Fatalf("problem %s", resp.Body)
	}
}

func TestCatalogueConcurrentReadsAndWrites(t *testing.T) {
	seeded(t)
	e := newEnv(t)
	e.mod.Handler.cache.every = CatalogueRecheck
	admin := e.NewUser(t, cc.RoleAdmin)
	slug := uniqueSlug("concurrent")
	done := make(chan struct{})
	errs := make(chan string, 8)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- ""
					return
				default:
				}
				resp, err := e.Try(apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"})
				if err != nil {
					errs <- err.Error()
					return
				} else if resp.StatusCode != 200 {
					errs <- string(resp.Body)
					return
				}
			}
		}()
	}
	publishSample(t, e, admin.Token, slug)
	close(done)
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Fatalf("a concurrent read failed: %s", msg)
		}
	}
	if !strings.Contains(string(e.Expect(t, apptest.Request{Method: "GET", Path: "/v1/courses?limit=200"}, 200).Body), slug) {
		t.Fatal("the course published during concurrent reads is missing")
	}
}
