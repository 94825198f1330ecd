package browsertest

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// The checks of the pages mean something only if axe-core finds what is
// wrong: a page with known serious and critical faults must show them.
func TestAxeFindsViolations(t *testing.T) {
	ctx := New(t)
	page := `<!doctype html><html><head><title>Bad</title></head><body><main>
		<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><p style="color:#bbb;background:#fff">faint text</p>
		<input type="text"></main></body></html>`
	Do(t, ctx, chromedp.Navigate("data:text/html,"+url.PathEscape(page)))
	found := map[string]string{}
	for _, v := range runAxe(t, ctx).Violations {
		found[v.ID] = v.Impact
	}
	for id, impact := range map[string]string{"image-alt": "critical", "html-has-lang": "serious", "color-contrast": "serious", "label": "critical"} {
		if found[id] != impact {
			t.Errorf("axe found %v; want %s (%s)", found, id, impact)
		}
	}
}

// NewWith's window and language are the page's: a narrower window, and a
// browser that asks for French.
func TestNewWithSizeAndLanguage(t *testing.T) {
	ctx := NewWith(t, Options{Width: 640, Height: 800, Lang: "fr-FR"})
	Do(t, ctx, chromedp.Navigate("data:text/html,"+url.PathEscape(`<!doctype html><title>x</title>`)))
	if w := Eval[int](t, ctx, `window.innerWidth`); w != 640 {
		t.Errorf("window %d px wide, want 640", w)
	}
	if l := Eval[string](t, ctx, `navigator.language`); l != "fr-FR" {
		t.Errorf("browser language %q, want fr-FR", l)
	}
}
