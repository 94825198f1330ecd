package courses

import (
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestCoursePackage(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	trainer := e.NewUser(t, cc.RoleTrainer)
	learner, stranger := e.NewUser(t), e.NewUser(t)
	slug := uniqueSlug("package")
	v1 := publishSample(t, e, admin.Token, slug)
	enrol(t, learner.ID, v1.VersionID)
	doc := sampleDoc(t, slug)
	setPath(t, doc, "modules[0].lessons[0].title", "Length beats everything", false)
	e.Expect(t, apptest.Request{Method: "PUT", Path: "/v1/courses/" + slug, Token: admin.Token, Body: doc}, 201)
	var v2 outline
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200).JSON(t, &v2)
	path := "/v1/courses/" + slug + "/package"

	t.Run("who may read it", func(t *testing.T) {
		tests := []struct {
			name   string
			path   string
			token  string
			status int
		}{
			{"anonymous", path, "", 401},
			{"learner not enrolled is told nothing", path, stranger.Token, 404},
			{"unknown course", "/v1/courses/no-such-course/package", learner.Token, 404},
			{"unknown course for staff", "/v1/courses/no-such-course/package", trainer.Token, 404},
			{"unsupported language", path + "?lang=xx", learner.Token, 422},
			{"enrolled learner", path, learner.Token, 200},
			{"trainer", path, trainer.Token, 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.Expect(t, apptest.Request{Method: "GET", Path: tt.path, Token: tt.token}, tt.status)
			})
		}
	})
	t.Run("the learner gets the version pinned at enrolment, with content and without answers", func(t *testing.T) {
		resp := e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: learner.Token}, 200)
		var p Package
		resp.JSON(t, &p)
		if p.VersionID != v1.VersionID || p.Version != 1 || len(p.Modules) != len(v1.Modules) {
			t.Fatalf("package of version %d (%s), want version 1", p.Version, p.VersionID)
		}
		l := p.Modules[0].Lessons[0]
		if l.ID != v1.Modules[0].Lessons[0].ID || l.Title == "Length beats everything" || !strings.HasPrefix(l.Content, "# Length") {
			t.Fatalf("first lesson %+v", l)
		}
		q := p.Modules[0].Quiz
		if q == nil || q.ID != v1.Modules[0].Quiz.ID || len(q.Questions) != 2 || len(q.Questions[0].Options) != 2 || q.PassScore != 70 {
			t.Fatalf("quiz %+v", q)
		}
		for _, leak := range []string{"correct", "explanation", "Length matters most"} {
			if strings.Contains(string(resp.Body), leak) {
				t.Fatalf("package contains %q", leak)
			}
		}
	})
	t.Run("staff who are not enrolled get the published version", func(t *testing.T) {
		var p Package
		e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: trainer.Token}, 200).JSON(t, &p)
		if p.VersionID != v2.VersionID || p.Modules[0].Lessons[0].Title != "Length beats everything" {
			t.Fatalf("staff package of version %d", p.Version)
		}
	})
	t.Run("a translation when the course has one", func(t *testing.T) {
		var p Package
		e.Expect(t, apptest.Request{Method: "GET", Path: path + "?lang=fr", Token: learner.Token}, 200).JSON(t, &p)
		if p.Language != "fr" || !strings.HasPrefix(p.Modules[0].Lessons[0].Content, "# Longueur") {
			t.Fatalf("French package: %s %q", p.Language, p.Modules[0].Lessons[0].Content)
		}
	})
	t.Run("an app that has the package gets a 304", func(t *testing.T) {
		resp := e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: learner.Token}, 200)
		etag := resp.Header.Get("ETag")
		if etag == "" || resp.Header.Get("Cache-Control") != "private, no-cache" {
			t.Fatalf("headers %v", resp.Header)
		}
		nm := e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: learner.Token, Headers: map[string]string{"If-None-Match": etag}}, 304)
		if len(nm.Body) != 0 || nm.Header.Get("ETag") != etag {
			t.Fatalf("304 with body %q etag %q", nm.Body, nm.Header.Get("ETag"))
		}
		fr := e.Expect(t, apptest.Request{Method: "GET", Path: path + "?lang=fr", Token: learner.Token, Headers: map[string]string{"If-None-Match": etag}}, 200)
		if fr.Header.Get("ETag") == etag {
			t.Fatal("the French package has the English package's ETag")
		}
		e.Expect(t, apptest.Request{Method: "GET", Path: path, Token: learner.Token, Headers: map[string]string{"If-None-Match": `"stale"`}}, 200)
	})
}
