package certification

import (
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/browsertest"
)

// TestCertificatePageInBrowser opens the verify page in Chromium, in English
// and in Arabic, valid and revoked, and checks each with axe-core.
func TestCertificatePageInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	f := newFixture(t)
	u := f.NewUserWith(t, apptest.Profile{Name: "فاطمة الزهراء Ali"})
	id, _ := f.issue(t, u.ID, "Cyber hygiene for small businesses")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.App.Listener(ln)
	t.Cleanup(func() { f.App.Shutdown() })
	page := "http://" + ln.Addr().String() + "/v1/certificates/" + id

	for _, tc := range []struct {
		lang, dir, heading string
	}{
		{"en", "ltr", "Certificate of completion"},
		{"ar", "rtl", "شهادة إتمام"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			browsertest.Do(t, ctx, chromedp.Navigate(page+"?lang="+tc.lang))
			got := browsertest.Eval[string](t, ctx, `[document.documentElement.lang, document.documentElement.dir, document.querySelector('h1').textContent].join('|')`)
			if got != tc.lang+"|"+tc.dir+"|"+tc.heading {
				t.Fatalf("page %q", got)
			}
			// Reflow (WCAG 1.4.10): nothing, not even the long verify URL, is
			// wider than the window, in either direction.
			if !browsertest.Eval[bool](t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`) {
				t.Error("the page scrolls sideways")
			}
			browsertest.Axe(t, ctx, "certificate-valid-"+tc.lang)
		})
	}
	t.Run("the language switcher leads to the page in that language", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(page+"?lang=en"))
		browsertest.Eval[bool](t, ctx, `document.querySelector('a[hreflang=zh]').click(); true`)
		browsertest.WaitFor(t, ctx, `document.documentElement.lang === 'zh'`)
		if h := browsertest.Eval[string](t, ctx, `document.querySelector('h1').textContent`); h != "结业证书" {
			t.Fatalf("heading %q", h)
		}
	})
	t.Run("revoked, in Arabic", func(t *testing.T) {
		if _, err := f.DB.Exec(`UPDATE certificates SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		browsertest.Do(t, ctx, chromedp.Navigate(page+"?lang=ar"))
		if s := browsertest.Eval[string](t, ctx, `document.querySelector('[role=status]').textContent`); !strings.HasPrefix(s, "ألغيت في") {
			t.Fatalf("status %q", s)
		}
		browsertest.Axe(t, ctx, "certificate-revoked-ar")
	})
}
