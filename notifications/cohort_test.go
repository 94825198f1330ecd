package notifications_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cybercampus/cybercampus/notifications"
)

// TestTrainerTextIsInert renders cohort names a trainer might write into the
// learner-facing cohort emails: nothing a mail program could turn into a link
// survives, the name is quoted and attributed, and it stays short.
func TestTrainerTextIsInert(t *testing.T) {
	for _, tc := range []struct {
		name   string
		banned []string // must not appear in the subject, text or HTML
		keep   string   // must appear in the text
	}{
		{"Sign in at http://cybercampus-login.evil.test now", []string{"http://cybercampus", "evil.test"}, "http[:]//cybercampus-login[.]evil[.]test"},
		{"HTTPS://Evil.Example/reset", []string{"HTTPS://", "Evil.Example"}, "HTTPS[:]//Evil[.]Example/reset"},
		{"visit www.evil.test or evil.co.uk", []string{"www.evil.test", "evil.co.uk"}, "www[.]evil[.]test or evil[.]co[.]uk"},
		{"mailto:boss@evil.test", []string{"mailto:", "evil.test"}, "mailto[:]boss@evil[.]test"},
		{"javascript:alert(1)", []string{"javascript:"}, "javascript[:]alert(1)"},
		{"full-width evil．test and ideographic evil。test", []string{"evil．test", "evil。test"}, "evil[.]test and ideographic evil[.]test"},
		{"bidi \u202Etset.live\u202C and zero\u200Bwidth", []string{"\u202E", "\u200B"}, "zerowidth"},
		{"Cohort 2.0 for St. Mary's", nil, "Cohort 2.0 for St. Mary's"},
		{"<b>bold</b> & \"quoted\"", []string{"<b>"}, "<b>bold</b>"},
		{strings.Repeat("Long name ", 30), nil, "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := json.Marshal(notifications.DeadlineData{CohortName: tc.name, CourseTitle: "IR", EndsOn: "2026-05-13",
				DaysLeft: 3, ProgressPercent: 40, URL: "http://x.test/c"})
			msg, ok := notifications.Compose(notifications.KindCohortDeadline, raw, notifications.Recipient{Name: "Ana", Language: "en"})
			if !ok {
				t.Fatal("not composed")
			}
			html, err := msg.HTML()
			must(t, err)
			for _, b := range tc.banned {
				parts := []string{msg.Subject, msg.Text(), html}
				if strings.HasPrefix(b, "<") { // markup is only live in HTML
					parts = []string{html}
				}
				for _, part := range parts {
					if strings.Contains(part, b) {
						t.Errorf("%q survives in:\n%s", b, part)
					}
				}
			}
			if !strings.Contains(msg.Text(), tc.keep) || !strings.Contains(msg.Text(), "Your trainer named it “") {
				t.Errorf("text lacks %q or the attribution:\n%s", tc.keep, msg.Text())
			}
			if strings.Contains(msg.Subject, "“") {
				t.Errorf("trainer text in the subject %q", msg.Subject)
			}
			start := strings.Index(msg.Text(), "“")
			end := strings.Index(msg.Text(), "”")
			if start < 0 || end < start || len([]rune(msg.Text()[start+len("“"):end])) > 80 {
				t.Errorf("quote missing or longer than 80 characters:\n%s", msg.Text())
			}
		})
	}
}
