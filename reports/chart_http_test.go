package reports

import (
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestChartsOverHTTP(t *testing.T) {
	env, _ := newEnv(t)
	f := fixtures{t, testDB.DB}
	ic := impactCourse(f)
	analyst := env.NewUser(t, cc.RoleAnalyst)
	impactSVG := "/v1/reports/impact.svg?group_by=country&course=" + ic.Slug

	t.Run("who may see the impact chart", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			roles []string
			want  int
		}{{"anonymous is 401", nil, 401}, {"learner is 403", []string{cc.RoleLearner}, 403}, {"analyst may", []string{cc.RoleAnalyst}, 200}, {"admin may", []string{cc.RoleAdmin}, 200}} {
			t.Run(tt.name, func(t *testing.T) {
				var tok string
				if tt.roles != nil {
					tok = env.NewUser(t, tt.roles...).Token
				}
				env.Expect(t, apptest.Request{Method: "GET", Path: impactSVG, Token: tok}, tt.want)
			})
		}
	})
	t.Run("the impact chart draws the impact report's figures", func(t *testing.T) {
		rep := env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/impact?group_by=country&course=" + ic.Slug, Token: analyst.Token}, 200).Map(t)
		text := svgText(t, env.Expect(t, apptest.Request{Method: "GET", Path: impactSVG, Token: analyst.Token}, 200).Body)
		tr := textsFor("en")
		for _, r := range rep["rows"].([]any) {
			r := r.(map[string]any)
			for _, m := range []string{"pre_mean", "post_mean"} {
				value := tr.get("not_shown")
				if v, ok := r[m].(float64); ok {
					value = formatNumber("en", v, 0, 2, false)
				}
				want := tr.get("chart.item", "label", r["country"].(string)+", "+tr.get("measure."+m), "value", value)
				if !strings.Contains(text, want) {
					t.Errorf("chart lacks %q:\n%s", want, text)
				}
			}
		}
	})
	t.Run("charts speak the language asked for", func(t *testing.T) {
		for _, tt := range []struct {
			name, path string
			headers    map[string]string
			lang, want string
		}{
			{"impact, ?lang=fr", impactSVG + "&measure=mean_gain&lang=fr", nil, "fr", "Progression moyenne par pays"},
			{"impact, Accept-Language: ar", impactSVG, map[string]string{"Accept-Language": "ar-EG,ar;q=0.9"}, "ar", "متوسطا الاختبار القبلي والبعدي حسب البلد"},
			{"participation, ?lang=es", "/v1/reports/participation.svg?group_by=country&course=" + ic.Slug + "&lang=es", nil, "es", "Participantes por país"},
			{"participation, ?lang beats Accept-Language", "/v1/reports/participation.svg?group_by=country&lang=zh", map[string]string{"Accept-Language": "ru"}, "zh", "按国家划分的学员"},
			{"an unknown language is English", "/v1/reports/participation.svg?group_by=country&lang=tlh", nil, "en", "Learners by country"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := env.Expect(t, apptest.Request{Method: "GET", Path: tt.path, Token: analyst.Token, Headers: tt.headers}, 200)
				if got := resp.Header.Get("Content-Language"); got != tt.lang {
					t.Errorf("Content-Language %q, want %q", got, tt.lang)
				}
				if text := svgText(t, resp.Body); !strings.Contains(text, tt.want) {
					t.Errorf("chart lacks %q:\n%s", tt.want, text)
				}
			})
		}
	})
	t.Run("bad chart requests are 422 and name the field", func(t *testing.T) {
		for _, tt := range []struct{ path, field string }{
			{impactSVG + "&measure=completion_rate", "measure"},
			{"/v1/reports/participation.svg?measure=mean_gain", "measure"},
			{impactSVG + "&format=csv", "format"},
			{"/v1/reports/impact.svg?group_by=shoe_size", "group_by"},
		} {
			resp := env.Expect(t, apptest.Request{Method: "GET", Path: tt.path, Token: analyst.Token}, 422)
			if !strings.Contains(string(resp.Body), `"field":"`+tt.field+`"`) {
				t.Errorf("%s: %s", tt.path, resp.Body)
			}
		}
	})
	t.Run("the impact chart is audited", func(t *testing.T) {
		var n int
		if err := testDB.Get(&n, `SELECT count(*) FROM report_audit WHERE user_id = $1 AND endpoint = 'impact.svg' AND format = 'svg'`, analyst.ID); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no audit row")
		}
	})
}
