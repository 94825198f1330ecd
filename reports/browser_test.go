package reports

import (
	"context"
	"fmt"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
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

func TestDashboard(t *testing.T) {
	ctx := browsertest.New(t)
	env, mod := newBrowserEnv(t)
	f := fixtures{t, testDB.DB}
	c := smallWorld(t, f)
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
	base := "http://" + ln.Addr().String()

	browsertest.Do(t, ctx, chromedp.Navigate(base+"/dashboard"))
	browsertest.WaitFor(t, ctx, `document.body && document.body.dataset.state === 'ready'`)

	t.Run("the sign-in page passes axe-core", func(t *testing.T) {
		browsertest.Axe(t, ctx, "dashboard-signin-en")
	})
	t.Run("signs in with the accounts API", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.querySelector('#email').value = %q;
			document.querySelector('#password').value = %q;
			document.querySelector('#login-form').requestSubmit(); true`, email, password))
		browsertest.WaitFor(t, ctx, `!document.querySelector('#report').hidden`)
		if !browsertest.Eval[bool](t, ctx, `sessionStorage.length > 0 && localStorage.length === 0`) {
			t.Fatal("the token is not kept in sessionStorage only")
		}
	})
	runReport := func(t *testing.T) [][]string {
		t.Helper()
		// The page lists dimensions in the API's order: group_by=gender,country.
		browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.body.dataset.state = 'running';
			for (const b of document.querySelectorAll('input[name=dim]')) b.checked = ['country', 'gender'].includes(b.value);
			document.querySelector('input[name=course]').value = %q;
			document.querySelector('#report-form').requestSubmit(); true`, c.Slug))
		browsertest.WaitFor(t, ctx, `document.body.dataset.state === 'report-loaded' || document.body.dataset.state === 'report-error'`)
		browsertest.WaitFor(t, ctx, `(() => { const i = document.querySelector('#chart img'); return i.complete && i.naturalWidth > 0; })()`)
		return browsertest.Eval[[][]string](t, ctx, `[...document.querySelectorAll('#report-table tbody tr, #report-table tfoot tr')]
			.map(tr => [...tr.children].map(td => td.textContent))`)
	}
	// want is the table the API gives for the same query, perturbed: the
	// page must show those figures as they are.
	want := func(t *testing.T) ([]string, *Report) {
		t.Helper()
		q, err := Params{GroupBy: "gender,country", Course: c.Slug}.Parse(5)
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
		line := func(c Counts) string {
			return fmt.Sprintf("%d|%d|%d|%d|%.1f%%", c.Learners, c.Enrollments, c.Completions, c.Certificates, *c.rate()*100)
		}
		var lines []string
		for _, r := range rep.Rows {
			if *r.Values[0] == "female" && *r.Values[1] == "FJ" {
				t.Fatal("the two women of Fiji are listed")
			}
			lines = append(lines, *r.Values[0]+"|"+*r.Values[1]+"|"+line(r.Counts))
		}
		return append(lines, "Total|"+line(rep.Totals.Counts)), rep
	}
	t.Run("shows the table and the chart of a report", func(t *testing.T) {
		rows := runReport(t)
		want, rep := want(t)
		if len(rows) != len(want) {
			t.Fatalf("table %q; error: %s", rows, browsertest.Eval[string](t, ctx, `document.querySelector('#report-error').textContent`))
		}
		for i := range want {
			if got := strings.Join(rows[i], "|"); got != want[i] {
				t.Errorf("row %d = %q, want %q", i, got, want[i])
			}
		}
		if alt := browsertest.Eval[string](t, ctx, `document.querySelector('#chart img').alt`); !strings.Contains(alt, "learners by gender, country") || !strings.Contains(alt, "Figures are slightly perturbed") {
			t.Errorf("chart alt %s", alt)
		}
		if s := browsertest.Eval[string](t, ctx, `document.querySelector('#summary').textContent`); !strings.Contains(s, "Figures are slightly perturbed to protect individuals") ||
			!strings.Contains(s, fmt.Sprintf("learners %.2f", *rep.GenderParity.Learners)) {
			t.Errorf("summary %s", s)
		}
	})
	t.Run("the report page passes axe-core", func(t *testing.T) {
		browsertest.Axe(t, ctx, "dashboard-report-en")
	})
	t.Run("the page loads nothing from elsewhere", func(t *testing.T) {
		if !browsertest.Eval[bool](t, ctx, `performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin) || e.name.startsWith('blob:'))`) {
			t.Fatal("external resource loaded")
		}
	})
	t.Run("in Arabic, right to left", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(base+"/dashboard?lang=ar"))
		browsertest.WaitFor(t, ctx, `document.body && document.body.dataset.state === 'ready'`)
		if got := browsertest.Eval[string](t, ctx, `document.documentElement.lang + ' ' + document.documentElement.dir + ' ' + document.querySelector('h1').textContent`); got != "ar rtl المشاركة في CyberCampus" {
			t.Fatalf("page %q", got)
		}
		browsertest.Axe(t, ctx, "dashboard-signed-in-ar")
		rows := runReport(t)
		want, rep := want(t)
		if len(rows) != len(want) || rows[len(rows)-1][0] != "المجموع" {
			t.Fatalf("Arabic table %q, want %q", rows, want)
		}
		for i := range want { // the same figures as in English; the labels are translated
			if got, w := strings.Join(rows[i][2:], "|"), strings.SplitN(want[i], "|", 3)[2]; i < len(want)-1 && got != w {
				t.Errorf("Arabic row %d = %q, want %q", i, got, w)
			}
		}
		if s := browsertest.Eval[string](t, ctx, `document.querySelector('#summary').textContent`); !strings.Contains(s, fmt.Sprintf("المتعلمون %.2f", *rep.GenderParity.Learners)) {
			t.Errorf("summary %s", s)
		}
		if got := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector('#report-table td.num')).textAlign`); got != "end" {
			t.Errorf("numbers align %q, want end (the left in Arabic)", got)
		}
		browsertest.Axe(t, ctx, "dashboard-report-ar")
	})
	t.Run("the Arabic sign-in page passes axe-core", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, `document.querySelector('#sign-out').click(); true`)
		browsertest.WaitFor(t, ctx, `!document.querySelector('#login').hidden`)
		if got := browsertest.Eval[string](t, ctx, `document.querySelector('#login-heading').textContent`); got != "تسجيل الدخول" {
			t.Fatalf("heading %q", got)
		}
		browsertest.Axe(t, ctx, "dashboard-signin-ar")
	})
}
