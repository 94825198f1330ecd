package notifications_test

import (
	"strings"
	"testing"

	"github.com/cybercampus/cybercampus/notifications"
)

// Every account email exists in each of the six languages the API accepts,
// complete (no placeholder left, no English fallback inside another
// language), and an unknown language gets English.
func TestAccountEmailsInSixLanguages(t *testing.T) {
	langs := notifications.AccountEmailLanguages()
	if len(langs) != 6 {
		t.Fatalf("account emails in %v, want the six UN languages", langs)
	}
	english := map[string]notifications.Message{}
	for _, kind := range []string{"password_reset", "account_locked", "email_verification"} {
		en, ok := notifications.ComposeAccount(notifications.AccountEmail{Kind: kind, Name: "Ana", Lang: "en", Link: "https://x.test/l?token=T", Expires: 60})
		if !ok {
			t.Fatalf("%s: not composed", kind)
		}
		english[kind] = en
		for _, l := range []string{"ar", "en", "es", "fr", "ru", "zh"} {
			m, ok := notifications.ComposeAccount(notifications.AccountEmail{Kind: kind, Name: "Ana", Lang: l, Link: "https://x.test/l?token=T", Expires: 1440})
			html, err := m.HTML()
			if !ok || err != nil || m.Lang != l {
				t.Fatalf("%s/%s: ok %v lang %s err %v", kind, l, ok, m.Lang, err)
			}
			text := m.Text()
			if strings.Contains(text, "{") || !strings.Contains(text, "Ana") || !strings.Contains(text, "https://x.test/l?token=T") ||
				!strings.Contains(html, `href="https://x.test/l?token=T"`) || !strings.Contains(text, "24") {
				t.Errorf("%s/%s: incomplete email %q", kind, l, text)
			}
			if l != "en" && (m.Subject == en.Subject || m.Lines[0] == en.Lines[0]) {
				t.Errorf("%s/%s: English text in another language", kind, l)
			}
		}
	}
	m, ok := notifications.ComposeAccount(notifications.AccountEmail{Kind: "password_reset", Name: "Ana", Lang: "sw", Link: "https://x.test", Expires: 60})
	if !ok || m.Lang != "en" || m.Subject != english["password_reset"].Subject || !strings.Contains(m.Text(), "60 minutes") {
		t.Fatalf("unknown language: %+v", m)
	}
	if _, ok := notifications.ComposeAccount(notifications.AccountEmail{Kind: "nope", Lang: "en"}); ok {
		t.Fatal("unknown kind composed")
	}
}
