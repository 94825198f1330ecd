package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/jobs"
)

const redisDB = 13

func newEnv(t *testing.T) (*apptest.Env, *module) {
	env := apptest.New(t, testDB, apptest.Options{RedisDB: redisDB})
	return env, newModule(env)
}

// module is the reports store and handler over env's database, built as
// cmd/cybercampus builds them and mounted on env's application.
type module struct {
	Store   *Store
	handler *Handler
}

func newModule(env *apptest.Env) *module {
	store := NewStore(env.DB.DB, env.DB.DB, time.Now)
	limiter := ratelimit.New(env.Redis, "cc:", env.Logger)
	m := &module{Store: store, handler: NewHandler(store, env.Config.ReportMinCellSize, limiter, env.Logger)}
	m.handler.Register(env.App, env.Auth)
	return m
}

// smallWorld makes a course with a known population, by country and gender:
// KE 12 women and 7 men, FJ 2 women and 6 men, NG 9 women (3 completed, with
// certificates) and 8 men: 44 learners, 23 women and 21 men.
func smallWorld(t *testing.T, f fixtures) course {
	c := f.course("world-" + uniq())
	at := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, g := range []struct {
		country, gender string
		n, completed    int
	}{{"KE", "female", 12, 0}, {"KE", "male", 7, 0}, {"FJ", "female", 2, 0}, {"FJ", "male", 6, 0}, {"NG", "female", 9, 3}, {"NG", "male", 8, 0}} {
		for i := range g.n {
			e := f.enroll(f.user(g.gender, g.country), c, nil, snap{g.gender, "youth", g.country, "25_34"}, at, false)
			if i < g.completed {
				f.complete(e)
				f.certify(e)
			}
		}
	}
	return c
}

func TestReportAccess(t *testing.T) {
	env, _ := newEnv(t)
	path := "/v1/reports/participation?group_by=gender"
	tests := []struct {
		name  string
		roles []string
		token bool
		want  int
	}{
		{"anonymous is 401", nil, false, 401},
		{"learner is 403", []string{cc.RoleLearner}, true, 403},
		{"trainer is 403", []string{cc.RoleTrainer}, true, 403},
		{"analyst may", []string{cc.RoleAnalyst}, true, 200},
		{"admin may", []string{cc.RoleAdmin}, true, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tok string
			if tt.token {
				tok = env.NewUser(t, tt.roles...).Token
			}
			for _, p := range []string{path, "/v1/reports/participation.svg?group_by=gender"} {
				env.Expect(t, apptest.Request{Method: "GET", Path: p, Token: tok}, tt.want)
			}
			want := tt.want
			if want == 200 {
				want = 202
			}
			env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/reports/exports", Token: tok, Body: map[string]any{}}, want)
		})
	}
}

func TestParticipationReport(t *testing.T) {
	env, mod := newEnv(t)
	f := fixtures{t, testDB.DB}
	c := smallWorld(t, f)
	f.refresh(mod.Store)
	analyst := env.NewUser(t, cc.RoleAnalyst)
	getAs := func(t *testing.T, token, q string) map[string]any {
		return env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?course=" + c.Slug + q, Token: token}, 200).Map(t)
	}
	get := func(t *testing.T, q string) map[string]any { return getAs(t, analyst.Token, q) }
	// The true learners of smallWorld by country and gender.
	truth := map[string]int64{"KE|female": 12, "KE|male": 7, "FJ|female": 2, "FJ|male": 6, "NG|female": 9, "NG|male": 8}

	t.Run("rows and totals are near the truth; a small cell is not listed at all", func(t *testing.T) {
		rep := get(t, "&group_by=country,gender")
		seen := map[string]bool{}
		for _, r := range rep["rows"].([]any) {
			r := r.(map[string]any)
			k := r["country"].(string) + "|" + r["gender"].(string)
			seen[k] = true
			if r["suppressed"] != false || num(t, r["learners"]) < 5 {
				t.Fatalf("row %v is listed though under min_cell_size", r)
			}
			checkNear(t, k+" learners", r["learners"], truth[k])
			checkNear(t, k+" enrollments", r["enrollments"], truth[k])
			if k == "NG|female" {
				checkNear(t, k+" completions", r["completions"], 3)
				checkNear(t, k+" certificates", r["certificates"], 3)
			} else if r["completions"] != 0.0 || r["certificates"] != 0.0 {
				t.Fatalf("row %v: zero completions are not published as zero", r)
			}
			for _, field := range []string{"user_id", "name", "email"} {
				if _, ok := r[field]; ok {
					t.Fatalf("row carries %s", field)
				}
			}
		}
		if seen["FJ|female"] {
			t.Fatal("the two women of Fiji are listed")
		}
		for _, k := range []string{"KE|female", "KE|male", "NG|female", "NG|male"} { // 7 or more: never under 5
			if !seen[k] {
				t.Fatalf("row %s is missing: %v", k, rep["rows"])
			}
		}
		totals := rep["totals"].(map[string]any)
		checkNear(t, "total learners", totals["learners"], 44)
		checkNear(t, "total completions", totals["completions"], 3)
		if want := math.Round(num(t, totals["completions"])/num(t, totals["enrollments"])*10000) / 10000; totals["completion_rate"] != want {
			t.Fatalf("completion rate %v, want %v from the published counts", totals["completion_rate"], want)
		}
		if rep["min_cell_size"] != 5.0 || rep["data_as_of"] == nil || rep["generated_at"] == nil {
			t.Fatalf("report %v", rep)
		}
		dc := rep["disclosure_control"].(map[string]any)
		if dc["method"] != "cell_key_perturbation" || dc["key_range"] != 256.0 || dc["max_noise"] != 2.0 ||
			dc["min_cell_size"] != 5.0 || dc["date_precision"] != "month" || !strings.Contains(dc["note"].(string), "perturbed") {
			t.Fatalf("disclosure_control %v", dc)
		}
	})
	t.Run("the parity index is the ratio of the published gender cells", func(t *testing.T) {
		byGender := map[string]float64{}
		rep := get(t, "&group_by=gender")
		for _, r := range rep["rows"].([]any) {
			r := r.(map[string]any)
			byGender[r["gender"].(string)] = num(t, r["learners"])
		}
		gp := get(t, "&group_by=country")["gender_parity"].(map[string]any)
		if want := math.Round(byGender["female"]/byGender["male"]*10000) / 10000; gp["learners"] != want || gp["completions"] != nil {
			t.Fatalf("parity %v, want learners %v and no completions ratio (no man completed)", gp, want)
		}
	})
	t.Run("a small cell and the parity index that would reveal it are not shown", func(t *testing.T) {
		rep := get(t, "&group_by=gender&country=FJ")
		for _, r := range rep["rows"].([]any) {
			if r.(map[string]any)["gender"] == "female" {
				t.Fatalf("row %v is listed", r)
			}
		}
		checkNear(t, "Fiji's learners", rep["totals"].(map[string]any)["learners"], 8)
		if gp := rep["gender_parity"].(map[string]any); gp["learners"] != nil {
			t.Fatalf("parity %v reveals a small cell", gp)
		}
	})
	t.Run("min_cell_size may be raised", func(t *testing.T) {
		rep := get(t, "&group_by=country&min_cell_size=17")
		if rep["min_cell_size"] != 17.0 || rep["disclosure_control"].(map[string]any)["min_cell_size"] != 17.0 {
			t.Fatalf("min_cell_size %v", rep["min_cell_size"])
		}
		for _, r := range rep["rows"].([]any) { // KE 19 and NG 17 may be; FJ's 8 never
			if r := r.(map[string]any); num(t, r["learners"]) < 17 || r["country"] == "FJ" {
				t.Fatalf("row %v is shown", r)
			}
		}
	})
	t.Run("a population smaller than min_cell_size hides the totals too", func(t *testing.T) {
		rep := get(t, "&country=FJ&min_cell_size=11")
		if tot := rep["totals"].(map[string]any); tot["suppressed"] != true || tot["learners"] != nil {
			t.Fatalf("totals %v", tot)
		}
	})
	t.Run("an empty group_by gives only totals", func(t *testing.T) {
		rep := get(t, "")
		if len(rep["rows"].([]any)) != 0 {
			t.Fatalf("report %v", rep)
		}
		checkNear(t, "enrollments", rep["totals"].(map[string]any)["enrollments"], 44)
	})
	t.Run("booleans, months and courses are typed", func(t *testing.T) {
		rows := get(t, "&group_by=course,month,ldc")["rows"].([]any)
		r := rows[len(rows)-1].(map[string]any)
		if r["course"] != c.Slug || r["month"] != "2025-03" || r["ldc"] != false {
			t.Fatalf("row %v", r)
		}
	})
	t.Run("each request is audited with its parameters and format", func(t *testing.T) {
		auditor := env.NewUser(t, cc.RoleAnalyst)
		getAs(t, auditor.Token, "&group_by=gender&min_cell_size=22")
		var n int
		f.get(&n, `SELECT count(*) FROM report_audit WHERE user_id = $1 AND endpoint = 'participation' AND format = 'json'
			AND params->>'course' = $2 AND params->'group_by' = '["gender"]'::jsonb AND params->>'min_cell_size' = '22'`, auditor.ID, c.Slug)
		if n != 1 {
			t.Fatalf("%d audit rows", n)
		}
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation.svg?group_by=gender", Token: auditor.Token}, 200)
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?format=csv", Token: auditor.Token}, 200)
		f.get(&n, `SELECT count(*) FROM report_audit WHERE user_id = $1 AND format IN ('svg', 'csv')`, auditor.ID)
		if n != 2 {
			t.Fatalf("%d svg/csv audit rows", n)
		}
	})
	t.Run("a report whose audit row cannot be written is not released", func(t *testing.T) {
		unaudited := env.NewUser(t, cc.RoleAnalyst)
		// The audit row is written while the report is read; refusing it
		// must withhold the report however far the reading got.
		f.exec(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'audit refused'; END $$`)
		f.exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON report_audit FOR EACH ROW
			WHEN (NEW.user_id = '` + unaudited.ID + `') EXECUTE FUNCTION refuse_audit()`)
		t.Cleanup(func() {
			f.exec(`DROP TRIGGER refuse_audit ON report_audit`)
			f.exec(`DROP FUNCTION refuse_audit()`)
		})
		for _, p := range []string{"&group_by=country,gender", "&group_by=gender&format=csv", ""} {
			resp := env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?course=" + c.Slug + p, Token: unaudited.Token}, 500)
			if bytes.Contains(resp.Body, []byte("learners")) || bytes.Contains(resp.Body, []byte("KE")) {
				t.Fatalf("%s: the refused request got report data: %s", p, resp.Body)
			}
		}
	})
	t.Run("CSV opens in a spreadsheet, states its method and has the JSON's figures", func(t *testing.T) {
		rep := get(t, "&group_by=country,gender")
		want := [][]string{{"country", "gender", "learners", "enrollments", "completions", "certificates", "completion_rate", "suppressed"}}
		for _, r := range rep["rows"].([]any) {
			r := r.(map[string]any)
			rec := []string{r["country"].(string), r["gender"].(string)}
			for _, m := range []string{"learners", "enrollments", "completions", "certificates", "completion_rate"} {
				rec = append(rec, strconv.FormatFloat(num(t, r[m]), 'f', -1, 64))
			}
			want = append(want, append(rec, "false"))
		}
		for _, h := range []apptest.Request{
			{Method: "GET", Path: "/v1/reports/participation?group_by=country,gender&course=" + c.Slug, Token: analyst.Token, Headers: map[string]string{"Accept": "text/csv"}},
			{Method: "GET", Path: "/v1/reports/participation?group_by=country,gender&format=csv&course=" + c.Slug, Token: analyst.Token},
		} {
			resp := env.Expect(t, h, 200)
			if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Fatalf("content type %q", ct)
			}
			if !bytes.HasPrefix(resp.Body, []byte("\uFEFF# disclosure_control: method=cell_key_perturbation; key_range=256; max_noise=2;")) ||
				!bytes.Contains(resp.Body, []byte("min_cell_size=5; date_precision=month; Figures are slightly perturbed")) {
				t.Fatalf("no byte order mark and disclosure comment: %q", resp.Body)
			}
			if _, err := csv.NewReader(bytes.NewReader(resp.Body[3:])).ReadAll(); err != nil {
				t.Fatalf("a reader without comments cannot read it: %v", err) // the # line is as wide as the rows
			}
			recs := readCSV(t, resp.Body)
			if len(recs) != len(want) {
				t.Fatalf("csv %q, want %q", recs, want)
			}
			for i := range want {
				if strings.Join(recs[i], ",") != strings.Join(want[i], ",") {
					t.Fatalf("csv line %d = %q, want %q", i, recs[i], want[i])
				}
			}
		}
	})
	t.Run("reports per analyst are rate limited", func(t *testing.T) {
		busy := env.NewUser(t, cc.RoleAnalyst)
		for range mod.handler.perMinute {
			getAs(t, busy.Token, "")
		}
		for _, path := range []string{"/v1/reports/participation", "/v1/reports/participation.svg", "/v1/reports/impact", "/v1/reports/impact.svg"} {
			resp := env.Expect(t, apptest.Request{Method: "GET", Path: path, Token: busy.Token}, 429)
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
				t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
		}
		env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/reports/exports", Token: busy.Token, Body: map[string]any{}}, 429)
		var n int
		f.get(&n, `SELECT count(*) FROM report_audit WHERE user_id = $1`, busy.ID)
		if n != mod.handler.perMinute {
			t.Fatalf("%d audit rows, want one per report run (%d)", n, mod.handler.perMinute)
		}
		getAs(t, analyst.Token, "") // others are not held back
	})
}

// num is a JSON number, failing the test on anything else.
func num(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	return f
}

// checkNear checks a published count against its true value as the contract
// bounds it: within max(2, 10 %) for counts of 5 or more; a true zero is
// published as zero; a small count as 0 or at least 3.
func checkNear(t *testing.T, what string, v any, truth int64) {
	t.Helper()
	got := num(t, v)
	if !nearTruth(int64(got), truth) {
		t.Fatalf("%s = %v, true %d: outside the published bounds", what, got, truth)
	}
}

func nearTruth(got, truth int64) bool {
	switch {
	case truth == 0:
		return got == 0
	case truth < 5:
		return got == 0 || (got >= 3 && got <= truth+2)
	}
	return math.Abs(float64(got-truth)) <= max(2, 0.1*float64(truth))
}

// readCSV reads a report CSV: its byte order mark, its # comment line, then records.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestReportValidation(t *testing.T) {
	env, _ := newEnv(t)
	analyst := env.NewUser(t, cc.RoleAnalyst)
	tests := []struct {
		name, query string
		want        int
		field       string
	}{
		{"unknown dimension", "group_by=gender,shoe_size", 422, "group_by"},
		{"repeated dimension", "group_by=gender,region,gender", 422, "group_by"},
		{"empty dimension", "group_by=gender,", 422, "group_by"},
		{"disability misspelt", "group_by=disabled", 422, "group_by"},
		{"repeated disability", "group_by=disability,gender,disability", 422, "group_by"},
		{"disability is a dimension, not a filter", "group_by=gender&disability=yes", 422, "disability"},
		{"bad date", "from=2024-13-01", 422, "from"},
		{"not a date", "to=yesterday", 422, "to"},
		{"to before from", "from=2024-05-01&to=2024-04-30", 422, "to"},
		{"lower-case country", "country=ke", 422, "country"},
		{"unknown country", "country=ZZ", 422, "country"},
		{"unknown region", "region=atlantis", 422, "region"},
		{"bad course slug", "course=Not_A_Slug", 422, "course"},
		{"unknown course", "course=no-such-course", 422, "course"},
		{"bad cohort", "cohort=42", 422, "cohort"},
		{"unknown cohort", "cohort=6f1c1b8e-7d7e-4a43-9d3e-1f1c2b3a4d5e", 422, "cohort"},
		{"min_cell_size below the floor", "min_cell_size=2", 422, "min_cell_size"},
		{"min_cell_size not a number", "min_cell_size=many", 422, "min_cell_size"},
		{"min_cell_size too large", "min_cell_size=100000", 422, "min_cell_size"},
		{"unknown parameter", "groupby=gender", 422, "groupby"},
		{"bad format", "format=xlsx", 422, "format"},
		{"repeated parameter", "group_by=gender&group_by=region", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?" + tt.query, Token: analyst.Token}, tt.want)
			if tt.field == "" {
				return
			}
			if !strings.Contains(string(resp.Body), `"field":"`+tt.field+`"`) {
				t.Fatalf("errors do not name %s: %s", tt.field, resp.Body)
			}
		})
	}
	t.Run("an unknown dimension is named in the message", func(t *testing.T) {
		resp := env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?group_by=shoe_size", Token: analyst.Token}, 422)
		if !strings.Contains(string(resp.Body), "shoe_size") {
			t.Fatalf("%s", resp.Body)
		}
	})
	t.Run("an unacceptable media type is 406", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation", Token: analyst.Token, Headers: map[string]string{"Accept": "image/png"}}, 406)
	})
	t.Run("a bad chart measure is 422", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation.svg?measure=height", Token: analyst.Token}, 422)
	})
	t.Run("invalid requests are not audited", func(t *testing.T) {
		var n int
		if err := testDB.Get(&n, `SELECT count(*) FROM report_audit WHERE user_id = $1`, analyst.ID); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d audit rows", n)
		}
	})
}

func TestExports(t *testing.T) {
	env, mod := newEnv(t)
	f := fixtures{t, testDB.DB}
	c := smallWorld(t, f)
	f.refresh(mod.Store)
	analyst, other, admin := env.NewUser(t, cc.RoleAnalyst), env.NewUser(t, cc.RoleAnalyst), env.NewUser(t, cc.RoleAdmin)
	mux := asynq.NewServeMux()
	mod.handler.RegisterTasks(mux)

	resp := env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/reports/exports", Token: analyst.Token,
		Body: map[string]any{"group_by": "country,gender", "course": c.Slug}}, 202)
	var e struct {
		ID, Status string
	}
	resp.JSON(t, &e)
	path := "/v1/reports/exports/" + e.ID

	t.Run("queued with an outbox row and a location", func(t *testing.T) {
		if e.Status != "queued" || resp.Header.Get("Location") != path {
			t.Fatalf("%s %s", resp.Body, resp.Header.Get("Location"))
		}
		var n int
		f.get(&n, `SELECT count(*) FROM outbox WHERE task_type = $1 AND payload->>'export_id' = $2 AND queue = 'low'`, jobs.TypeBuildExport, e.ID)
		if n != 1 {
			t.Fatalf("%d outbox rows", n)
		}
	})
	t.Run("the file before it is built is 409", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: "GET", Path: path + "?format=csv", Token: analyst.Token}, 409)
	})
	t.Run("another analyst's export is 404", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: "GET", Path: path, Token: other.Token}, 404)
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/exports/not-a-uuid", Token: analyst.Token}, 404)
	})
	t.Run("the job builds the CSV", func(t *testing.T) {
		payload := []byte(`{"export_id":"` + e.ID + `"}`)
		if err := mux.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeBuildExport, payload)); err != nil {
			t.Fatal(err)
		}
		sync := env.Expect(t, apptest.Request{Method: "GET", Token: analyst.Token,
			Path: "/v1/reports/participation?format=csv&group_by=country,gender&course=" + c.Slug}, 200).Body
		st := env.Expect(t, apptest.Request{Method: "GET", Path: path, Token: analyst.Token}, 200).Map(t)
		if st["status"] != "done" || st["rows"] != float64(len(readCSV(t, sync))-1) || st["download_url"] != path+"?format=csv" {
			t.Fatalf("status %v", st)
		}
		for _, tok := range []string{analyst.Token, admin.Token} {
			file := env.Expect(t, apptest.Request{Method: "GET", Path: path, Token: tok, Headers: map[string]string{"Accept": "text/csv"}}, 200)
			if !bytes.Equal(file.Body, sync) || !strings.Contains(string(file.Body), "\r\nKE,female,") {
				t.Fatalf("file %q differs from the report's CSV %q", file.Body, sync)
			}
		}
		var n int
		f.get(&n, `SELECT count(*) FROM report_audit WHERE endpoint = $1`, "exports/"+e.ID)
		if n != 2 {
			t.Fatalf("%d download audit rows", n)
		}
	})
	t.Run("bad bodies", func(t *testing.T) {
		for _, b := range []struct {
			req  apptest.Request
			want int
		}{
			{apptest.Request{Body: map[string]any{"group_by": "nope"}}, 422},
			{apptest.Request{Body: map[string]any{"min_cell_size": 1}}, 422},
			{apptest.Request{Body: map[string]any{"name": "x"}}, 422},
			{apptest.Request{Raw: []byte("{"), Type: "application/json"}, 400},
			{apptest.Request{Raw: []byte("group_by=gender"), Type: "text/plain"}, 415},
		} {
			b.req.Method, b.req.Path, b.req.Token = "POST", "/v1/reports/exports", analyst.Token
			env.Expect(t, b.req, b.want)
		}
	})
	t.Run("the rollup job is registered", func(t *testing.T) {
		enrolled := time.Now()
		f.enroll(f.user("male", "KE"), c, nil, snap{"male", "youth", "KE", "25_34"}, enrolled, false)
		if err := mux.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeRollups, nil)); err != nil {
			t.Fatal(err)
		}
		rep := env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?course=" + c.Slug, Token: analyst.Token}, http.StatusOK).Map(t)
		asOf, err := time.Parse(time.RFC3339Nano, rep["data_as_of"].(string))
		if err != nil || !asOf.After(enrolled) {
			t.Fatalf("data_as_of %v, enrolled at %v: %v", rep["data_as_of"], enrolled, err)
		}
		checkNear(t, "learners", rep["totals"].(map[string]any)["learners"], 45)
	})
}
