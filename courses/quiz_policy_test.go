package courses

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestQuizReviewAndDrawRoundTrip(t *testing.T) {
	e := newEnv(t)
	admin := e.NewUser(t, cc.RoleAdmin)
	slug := uniqueSlug("policy")
	doc := sampleDoc(t, slug)
	setPath(t, doc, "modules[0].quiz.review", "never", false)
	setPath(t, doc, "modules[0].quiz.draw", 1, false)
	body, _ := json.Marshal(doc)
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: body, Type: "application/json"}, 201)
	var o outline
	e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + slug + "/publish", Token: admin.Token}, 200).JSON(t, &o)

	t.Run("the outline gives the policy and the questions per attempt", func(t *testing.T) {
		q := o.Modules[0].Quiz
		if q == nil || q.Review != ReviewNever || q.QuestionCount != 1 {
			t.Fatalf("outline quiz %+v", q)
		}
	})
	t.Run("a quiz without them has the defaults", func(t *testing.T) {
		other := publishSample(t, e, admin.Token, uniqueSlug("defaults"))
		q := other.Modules[0].Quiz
		if q.Review != ReviewAfterPassOrLastAttempt || q.QuestionCount != 2 {
			t.Fatalf("outline quiz %+v", q)
		}
		var draw *int
		if err := testDB.Get(&draw, `SELECT draw FROM quizzes WHERE id = $1`, q.ID); err != nil || draw != nil {
			t.Fatalf("stored draw %v: %v", draw, err)
		}
	})
	t.Run("export keeps them and re-importing changes nothing", func(t *testing.T) {
		var out bytes.Buffer
		if err := ExportDocument(context.Background(), testDB.DB, slug, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "review: never") || !strings.Contains(out.String(), "draw: 1") {
			t.Fatalf("export lacks review or draw:\n%s", out.String())
		}
		before := versionCount(t, slug)
		var report bytes.Buffer
		if err := ImportPath(context.Background(), testDB.DB, writeFile(t, slug+".yaml", out.String()), &report); err != nil {
			t.Fatal(err)
		}
		if versionCount(t, slug) != before {
			t.Fatalf("re-importing the export made a version: %s", report.String())
		}
	})
	t.Run("a draw over the pool is refused by the API with the field named", func(t *testing.T) {
		bad := sampleDoc(t, uniqueSlug("overdraw"))
		setPath(t, bad, "modules[0].quiz.draw", 5, false)
		body, _ := json.Marshal(bad)
		resp := e.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Raw: body, Type: "application/json"}, 422)
		if !strings.Contains(string(resp.Body), `"modules[0].quiz.draw"`) {
			t.Fatalf("422 does not name the draw: %s", resp.Body)
		}
	})
}
