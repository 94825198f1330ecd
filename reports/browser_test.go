package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/browsertest"
)

// newBrowserEnv builds the application with the accounts routes (for signing in).
func newBrowserEnv(t *testing.T) (*apptest.Env, *module) {
	env := apptest.New(t, testDB, apptest.Options{RedisDB: redisDB})
	mod := newModule(env)
	learnerstest.Mount(env)
	return env, mod
}

// countryNames are the test countries as the page names them (the
// browser's Intl.DisplayNames, with the code).
var countryNames = map[string]map[string]string{
	"en": {"KE": "Kenya (KE)", "NG": "Nigeria (NG)", "FJ": "Fiji (FJ)"},
	"ar": {"KE": "كينيا (KE)", "NG": "نيجيريا (NG)", "FJ": "فيجي (FJ)"},
}

// dashboardTab is a signed-in dashboard in a browser.
type dashboardTab struct {
	ctx  context.Context
	base string
}

// run submits the report form for view with dims checked and the given
// course and country filters, waits for the table and the chart, and
// returns the table's body and footer rows (empty after an error).
func (p dashboardTab) run(t *testing.T, view string, dims []string, course, country string) [][]string {
	t.Helper()
	d, _ := json.Marshal(dims)
	browsertest.Eval[bool](t, p.ctx, fmt.Sprintf(`document.body.dataset.state = 'running';
		document.querySelector('input[name=view][value=%q]').checked = true;
		for (const b of document.querySelectorAll('input[name=dim]')) b.checked = %s.includes(b.value);
		document.querySelector('input[name=course]').value = %q;
		document.querySelector('input[name=country]').value = %q;
		document.querySelector('#report-form').requestSubmit(); true`, view, d, course, country))
	browsertest.WaitFor(t, p.ctx, `document.body.dataset.state === 'report-loaded' || document.body.dataset.state === 'report-error'`)
	if browsertest.Eval[string](t, p.ctx, `document.body.dataset.state`) == "report-error" {
		return nil
	}
	fig, table := "#chart", "#report-table"
	if view == "impact" {
		fig, table = "#impact-chart", "#impact-table"
	}
	browsertest.WaitFor(t, p.ctx, fmt.Sprintf(`(() => { const i = document.querySelector('%s img'); return i.complete && i.naturalWidth > 0; })()`, fig))
	return browsertest.Eval[[][]string](t, p.ctx, fmt.Sprintf(`[...document.querySelectorAll('%[1]s tbody tr, %[1]s tfoot tr')]
		.map(tr => [...tr.children].map(td => td.textContent))`, table))
}

func (p dashboardTab) text(t *testing.T, sel string) string {
	t.Helper()
	return browsertest.Eval[string](t, p.ctx, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
}

func (p dashboardTab) alt(t *testing.T, fig string) string {
	t.Helper()
	return browsertest.Eval[string](t, p.ctx, fmt.Sprintf(`document.querySelector('%s img').alt`, fig))
}

func (p dashboardTab) open(t *testing.T, lang string) {
	t.Helper()
	browsertest.Do(t, p.ctx, chromedp.Navigate(p.base+"/dashboard?lang="+lang))
	browsertest.WaitFor(t, p.ctx, `document.body && document.body.dataset.state === 'ready'`)
}

// wantParticipation is the table the API gives for the query, perturbed and
// written in lang: the page must show those figures as they are.
func wantParticipation(t *testing.T, mod *module, slug, lang string) ([]string, *Report) {
	t.Helper()
	rep, tr := participationReport(t, mod, slug), textsFor(lang)
	line := func(c Counts) string {
		n := func(v int64) string { return formatNumber(lang, float64(v), 0, 0, false) }
		return strings.Join([]string{n(c.Learners), n(c.Enrollments), n(c.Completions), n(c.Certificates), formatPercent(lang, *c.rate())}, "|")
	}
	var lines []string
	for _, r := range rep.Rows {
		if *r.Values[0] == "female" && *r.Values[1] == "FJ" {
			t.Fatal("the two women of Fiji are listed")
		}
		lines = append(lines, tr.value("gender", r.Values[0])+"|"+countryNames[lang][*r.Values[1]]+"|"+line(r.Counts))
	}
	return append(lines, tr.get("total")+"|"+line(rep.Totals.Counts)), rep
}

func participationReport(t *testing.T, mod *module, slug string) *Report {
	q, err := Params{GroupBy: "gender,country", Course: slug}.Parse(5)
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Store.Resolve(context.Background(), &q); err != nil {
		t.Fatal(err)
	}
	rep, err := mod.Store.Participation(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// wantImpact is the impact table the API gives grouped by country, written
// in lang, a figure the API does not publish said to be not shown.
func wantImpact(t *testing.T, mod *module, slug, lang string) []string {
	t.Helper()
	q, err := Params{GroupBy: "country", Course: slug}.Parse(5)
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Store.Resolve(context.Background(), &q); err != nil {
		t.Fatal(err)
	}
	rep, err := mod.Store.Impact(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	tr := textsFor(lang)
	line := func(f ImpactFigures) string {
		count := func(v *int64) string {
			if v == nil {
				return tr.get("not_shown")
			}
			return formatNumber(lang, float64(*v), 0, 0, false)
		}
		mean := func(v *float64, signed bool) string {
			if v == nil {
				return tr.get("not_shown")
			}
			return formatNumber(lang, *v, 0, 2, signed)
		}
		share := tr.get("not_shown")
		if f.AppliedShare != nil {
			share = formatPercent(lang, *f.AppliedShare)
		}
		return strings.Join([]string{count(f.Learners), count(f.MatchedPairs), mean(f.PreMean, false), mean(f.PostMean, false),
			mean(f.MeanGain, true), mean(f.SatisfactionMean, false), count(f.FollowUpResponses), share}, "|")
	}
	var lines []string
	for _, r := range rep.Rows {
		lines = append(lines, countryNames[lang][*r.Values[0]]+"|"+line(r.ImpactFigures))
	}
	return append(lines, tr.get("total")+"|"+line(rep.Totals))
}

// impactCourse is a course whose learners in Kenya and Fiji took tests and
// answered surveys, and whose eight learners in Nigeria did neither (so the
// means of that row are not published).
func impactCourse(f fixtures) course {
	c := f.course("impact-dash-" + uniq())
	rng := rand.New(rand.NewPCG(22, 23))
	makeImpactWorld(f, rng, c, "KE", 40)
	makeImpactWorld(f, rng, c, "FJ", 25)
	for range 8 {
		f.enroll(f.user("male", "NG"), c, nil, snap{"male", "professional", "NG", "35_44"}, time.Date(2025, 5, 2, 9, 0, 0, 0, time.UTC), true)
	}
	return c
}

func compareRows(t *testing.T, got [][]string, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("table %q, want %q", got, want)
	}
	for i := range want {
		if g := strings.Join(got[i], "|"); g != want[i] {
			t.Errorf("row %d = %q, want %q", i, g, want[i])
		}
	}
}

func TestDashboard(t *testing.T) {
	ctx := browsertest.New(t)
	env, mod := newBrowserEnv(t)
	f := fixtures{t, testDB.DB}
	c := smallWorld(t, f)
	ic := impactCourse(f)
	f.refresh(mod.Store)
	email, password := "analyst-"+uniq()+"@example.org", "correct horse battery staple"
	f.exec(`INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience)
		VALUES ($1, $2, 'Analyst', $3, 'female', 1980, 'CH', 'professional')`, email, auth.HashPassword(password), pq.StringArray{cc.RoleAnalyst})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go env.App.Listener(ln)
	t.Cleanup(func() { env.App.Shutdown() })
	p := dashboardTab{ctx: ctx, base: "http://" + ln.Addr().String()}
	p.open(t, "en")

	t.Run("the sign-in page passes axe-core", func(t *testing.T) {
		browsertest.Axe(t, ctx, "dashboard-signin-en")
	})
	signIn := func(t *testing.T, password string) {
		browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.querySelector('#email').value = %q;
			document.querySelector('#password').value = %q;
			document.querySelector('#login-form').requestSubmit(); true`, email, password))
	}
	t.Run("a wrong password is said in the page's language", func(t *testing.T) {
		signIn(t, "wrong password")
		browsertest.WaitFor(t, ctx, `document.querySelector('#login-error').textContent !== ''`)
		if got := p.text(t, "#login-error"); got != textsFor("en").get("err.login") {
			t.Fatalf("login error %q", got)
		}
	})
	t.Run("signs in with the accounts API", func(t *testing.T) {
		signIn(t, password)
		browsertest.WaitFor(t, ctx, `!document.querySelector('#report').hidden`)
		if !browsertest.Eval[bool](t, ctx, `sessionStorage.length > 0 && localStorage.length === 0`) {
			t.Fatal("the token is not kept in sessionStorage only")
		}
	})
	for _, lang := range []string{"en", "ar"} {
		tr := textsFor(lang)
		t.Run(lang, func(t *testing.T) {
			p.open(t, lang)
			t.Run("participation table and chart in the language", func(t *testing.T) {
				// The page lists dimensions in the API's order: group_by=gender,country.
				rows := p.run(t, "participation", []string{"country", "gender"}, c.Slug, "")
				want, rep := wantParticipation(t, mod, c.Slug, lang)
				compareRows(t, rows, want)
				title := tr.get("chart.by", "measure", capital(tr.get("measure.learners")), "dims", tr.get("dim.gender")+tr.get("chart.list_sep")+tr.get("dim.country"))
				if alt := p.alt(t, "#chart"); !strings.Contains(alt, title) || !strings.Contains(alt, tr.get("chart.notice")) ||
					!strings.Contains(alt, tr.value("gender", strPtr("female"))+tr.get("chart.list_sep")+"KE") {
					t.Errorf("chart alt %s, want the title %q and the notice", alt, title)
				}
				parity := formatNumber(lang, *rep.GenderParity.Learners, 2, 2, false)
				if s := p.text(t, "#summary"); !strings.Contains(s, tr.get("measure.learners")+" "+parity) {
					t.Errorf("summary %s, want parity %s", s, parity)
				}
				if got := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector('#report-table td.num')).textAlign`); got != "end" {
					t.Errorf("numbers align %q, want end", got)
				}
				browsertest.Axe(t, ctx, "dashboard-participation-"+lang)
			})
			t.Run("an API error is said in the language", func(t *testing.T) {
				if rows := p.run(t, "participation", []string{"gender"}, c.Slug, "ZZ"); rows != nil {
					t.Fatalf("unknown country gave %q", rows)
				}
				if got, want := p.text(t, "#report-error"), tr.get("err.invalid", "fields", tr.get("field.country")); got != want {
					t.Errorf("error %q, want %q", got, want)
				}
			})
			t.Run("impact table and chart in the language", func(t *testing.T) {
				rows := p.run(t, "impact", []string{"country"}, ic.Slug, "")
				want := wantImpact(t, mod, ic.Slug, lang)
				compareRows(t, rows, want)
				if !strings.Contains(strings.Join(want, "\n"), tr.get("not_shown")) {
					t.Error("no mean is left out: the test does not show that unpublished means say so")
				}
				if !browsertest.Eval[bool](t, ctx, `document.querySelector('#participation-results').hidden && !document.querySelector('#impact-results').hidden`) {
					t.Error("the participation results are shown with the impact view")
				}
				title := tr.get("chart.by", "measure", capital(tr.get("measure.scores")), "dims", tr.get("dim.country"))
				if alt := p.alt(t, "#impact-chart"); !strings.Contains(alt, title) || !strings.Contains(alt, tr.get("impact.notice")) ||
					!strings.Contains(alt, tr.get("chart.item", "label", "NG"+tr.get("chart.list_sep")+tr.get("measure.pre_mean"), "value", tr.get("not_shown"))) {
					t.Errorf("impact chart alt %s", alt)
				}
				if s := p.text(t, "#impact-summary"); !strings.Contains(s, strings.SplitN(tr.get("impact_summary"), "{min}", 2)[0][len("{rows}"):]) {
					t.Errorf("impact summary %s", s)
				}
				browsertest.Axe(t, ctx, "dashboard-impact-"+lang)
			})
			t.Run("the impact CSV", func(t *testing.T) {
				// The page hands the file to the browser as a blob link; the test
				// keeps the blob and the link's file name instead of saving it.
				got := browsertest.Eval[map[string]string](t, ctx, `new Promise((resolve) => {
					const create = URL.createObjectURL, click = HTMLAnchorElement.prototype.click;
					let file;
					URL.createObjectURL = (blob) => { file = blob; return create(blob); };
					HTMLAnchorElement.prototype.click = function () {
						URL.createObjectURL = create;
						HTMLAnchorElement.prototype.click = click;
						file.text().then((text) => resolve({name: this.download, text}));
					};
					document.querySelector('#download').click();
					setTimeout(() => resolve({error: document.querySelector('#report-error').textContent}), 10000);
				})`)
				lines := strings.Split(got["text"], "\r\n")
				if got["name"] != "impact.csv" || !strings.HasPrefix(lines[0], "# disclosure_control") ||
					!strings.HasPrefix(lines[1], "country,learners,matched_pairs,pre_mean,post_mean,mean_gain") {
					t.Fatalf("download %q", got)
				}
			})
		})
	}
	t.Run("in Arabic, right to left", func(t *testing.T) {
		if got := browsertest.Eval[string](t, ctx, `document.documentElement.lang + ' ' + document.documentElement.dir + ' ' + document.querySelector('h1').textContent`); got != "ar rtl المشاركة في CyberCampus" {
			t.Fatalf("page %q", got)
		}
	})
	t.Run("the page loads nothing from elsewhere", func(t *testing.T) {
		if !browsertest.Eval[bool](t, ctx, `performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin) || e.name.startsWith('blob:'))`) {
			t.Fatal("external resource loaded")
		}
	})
	t.Run("the Arabic sign-in page passes axe-core", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, `document.querySelector('#sign-out').click(); true`)
		browsertest.WaitFor(t, ctx, `!document.querySelector('#login').hidden`)
		if got := p.text(t, "#login-heading"); got != "تسجيل الدخول" {
			t.Fatalf("heading %q", got)
		}
		browsertest.Axe(t, ctx, "dashboard-signin-ar")
	})
	t.Run("a learner is told in Arabic that reports are not for them", func(t *testing.T) {
		learner := "learner-" + uniq() + "@example.org"
		f.exec(`INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience)
			VALUES ($1, $2, 'Learner', $3, 'male', 1990, 'KE', 'youth')`, learner, auth.HashPassword(password), pq.StringArray{cc.RoleLearner})
		browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.querySelector('#email').value = %q;
			document.querySelector('#password').value = %q;
			document.querySelector('#login-form').requestSubmit(); true`, learner, password))
		browsertest.WaitFor(t, ctx, `!document.querySelector('#report').hidden`)
		if rows := p.run(t, "impact", []string{"country"}, ic.Slug, ""); rows != nil {
			t.Fatalf("a learner saw %q", rows)
		}
		if got, want := p.text(t, "#report-error"), textsFor("ar").get("err.forbidden"); got != want {
			t.Errorf("error %q, want %q", got, want)
		}
	})
}
