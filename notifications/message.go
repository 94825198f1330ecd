package notifications

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
)

// Message is one notification rendered in one language: the in-app title and
// body, and the email's subject, text and HTML, all come from it.
type Message struct {
	Lang     string
	Subject  string
	Greeting string
	Lines    []string // paragraphs
	Items    []string // a list, after the paragraphs
	Action   *Action
	Footer   string
}

// Action is the one link an email leads to.
type Action struct {
	Label string
	URL   string
}

// Title is the in-app title.
func (m Message) Title() string { return m.Subject }

// Body is the in-app body: the paragraphs and the list, one per line.
func (m Message) Body() string {
	parts := append([]string{}, m.Lines...)
	for _, it := range m.Items {
		parts = append(parts, "- "+it)
	}
	return strings.Join(parts, "\n")
}

// Text is the plain-text email body.
func (m Message) Text() string {
	var b strings.Builder
	if m.Greeting != "" {
		b.WriteString(m.Greeting + "\n\n")
	}
	for _, l := range m.Lines {
		b.WriteString(l + "\n\n")
	}
	for _, it := range m.Items {
		b.WriteString("- " + it + "\n")
	}
	if len(m.Items) > 0 {
		b.WriteString("\n")
	}
	if m.Action != nil {
		b.WriteString(m.Action.Label + ": " + m.Action.URL + "\n\n")
	}
	b.WriteString("-- \n" + m.Footer + "\n")
	return b.String()
}

// html/template escapes every value, so a course title such as
// "<script>" arrives as text, and only http(s) URLs are kept in href.
var htmlEmail = htmltemplate.Must(htmltemplate.New("email").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{if eq .Lang "ar"}}rtl{{else}}ltr{{end}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: Arial, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 40em;">
{{if .Greeting}}<p>{{.Greeting}}</p>
{{end}}{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Items}}<ul>
{{range .Items}}<li>{{.}}</li>
{{end}}</ul>
{{end}}{{with .Action}}<p><a href="{{.URL}}" style="background: #0b5cad; color: #fff; padding: 0.5em 1em; text-decoration: none; border-radius: 4px;">{{.Label}}</a></p>
{{end}}<hr><p style="font-size: small; color: #555;">{{.Footer}}</p>
</body></html>
`))

// HTML is the HTML email body.
func (m Message) HTML() (string, error) {
	var b bytes.Buffer
	if err := htmlEmail.Execute(&b, m); err != nil {
		return "", fmt.Errorf("render email: %w", err)
	}
	return b.String(), nil
}

// Recipient is who a message is written for.
type Recipient struct {
	Name     string
	Language string
}

// Compose renders a notification of kind from its data in the recipient's
// language. It reports false for a kind it does not know or data it cannot
// read, and the caller falls back to the stored title and body.
func Compose(kind string, data []byte, to Recipient) (Message, bool) {
	l := lang(to.Language)
	m := Message{Lang: l, Greeting: tr(l, "greeting", "name", to.Name), Footer: tr(l, "footer")}
	var ok bool
	switch kind {
	case KindReminder:
		ok = composeWith(data, &m, ReminderData.compose)
	case KindCohortDeadline:
		ok = composeWith(data, &m, DeadlineData.compose)
	case KindDigest:
		ok = composeWith(data, &m, DigestData.compose)
	case KindCertificateIssued:
		ok = composeWith(data, &m, CertificateData.compose)
	case KindCohortCreated:
		ok = composeWith(data, &m, CohortCreatedData.compose)
	case KindSurvey, KindSurveyReminder:
		ok = composeWith(data, &m, func(d SurveyData, m *Message) bool { return d.compose(m, kind == KindSurveyReminder) })
	}
	return m, ok
}

func composeWith[T any](data []byte, m *Message, fn func(T, *Message) bool) bool {
	var d T
	if err := json.Unmarshal(data, &d); err != nil {
		return false
	}
	return fn(d, m)
}

// fallback is the message for a notification Compose cannot render: the
// stored title and body, which its writer rendered in the user's language.
func fallback(title, body string, to Recipient) Message {
	l := lang(to.Language)
	return Message{Lang: l, Subject: title, Greeting: tr(l, "greeting", "name", to.Name),
		Lines: strings.Split(body, "\n"), Footer: tr(l, "footer")}
}

func days(l string, n int) string {
	key := "days." + pluralForm(lang(l), n)
	if n == 1 {
		key = "days.one"
	}
	if _, ok := catalog[lang(l)][key]; !ok {
		key = "days.other"
	}
	return tr(l, key, "n", strconv.Itoa(n))
}

// ReminderData is the data of a reminder notification.
type ReminderData struct {
	EnrollmentID string `json:"enrollment_id"`
	CourseSlug   string `json:"course_slug"`
	CourseTitle  string `json:"course_title"`
	LessonID     string `json:"lesson_id,omitempty"`
	LessonTitle  string `json:"lesson_title,omitempty"`
	URL          string `json:"url"`
	IdleSince    string `json:"idle_since"`
}

func (d ReminderData) compose(m *Message) bool {
	if d.CourseTitle == "" {
		return false
	}
	l := m.Lang
	m.Subject = tr(l, "reminder.subject", "course", d.CourseTitle)
	m.Lines = []string{tr(l, "reminder.intro", "course", d.CourseTitle)}
	if d.LessonTitle != "" {
		m.Lines = append(m.Lines, tr(l, "reminder.next", "lesson", d.LessonTitle))
	} else {
		m.Lines = append(m.Lines, tr(l, "reminder.quizzes"))
	}
	m.Action = &Action{Label: tr(l, "reminder.action"), URL: d.URL}
	return true
}

// DeadlineData is the data of a cohort deadline reminder.
type DeadlineData struct {
	CohortID        string `json:"cohort_id"`
	CohortName      string `json:"cohort_name"`
	CourseSlug      string `json:"course_slug"`
	CourseTitle     string `json:"course_title"`
	EndsOn          string `json:"ends_on"`
	DaysLeft        int    `json:"days_left"`
	ProgressPercent int    `json:"progress_percent"`
	URL             string `json:"url"`
}

func (d DeadlineData) compose(m *Message) bool {
	if d.CohortName == "" || d.EndsOn == "" {
		return false
	}
	l := m.Lang
	m.Subject = tr(l, "cohort_deadline.subject", "date", d.EndsOn)
	m.Lines = []string{
		tr(l, "cohort_deadline.intro", "cohort", quoted(d.CohortName), "date", d.EndsOn, "days", days(l, d.DaysLeft)),
		tr(l, "cohort_deadline.progress", "percent", strconv.Itoa(d.ProgressPercent), "course", d.CourseTitle),
	}
	m.Action = &Action{Label: tr(l, "cohort_deadline.action"), URL: d.URL}
	return true
}

// DigestData is the data of a trainer's weekly digest.
type DigestData struct {
	Week    string         `json:"week"` // ISO week, 2026-W07
	Cohorts []DigestCohort `json:"cohorts"`
}

// DigestCohort is one cohort's line in a digest. Behind counts members who
// have not completed and whose progress is below the share of the cohort's
// time elapsed (ExpectedPercent).
type DigestCohort struct {
	ID              string `json:"id" db:"id"`
	Name            string `json:"name" db:"name"`
	CourseTitle     string `json:"course_title" db:"course_title"`
	StartsOn        string `json:"starts_on" db:"starts_on"`
	EndsOn          string `json:"ends_on" db:"ends_on"`
	Members         int    `json:"members" db:"members"`
	ActiveThisWeek  int    `json:"active_this_week" db:"active"`
	Completed       int    `json:"completed" db:"completed"`
	Behind          int    `json:"behind" db:"behind"`
	ExpectedPercent int    `json:"expected_percent" db:"expected"`
}

func (d DigestData) compose(m *Message) bool {
	if d.Week == "" || len(d.Cohorts) == 0 {
		return false
	}
	l := m.Lang
	m.Subject = tr(l, "digest.subject", "week", d.Week)
	m.Lines = []string{tr(l, "digest.intro")}
	for _, c := range d.Cohorts {
		m.Items = append(m.Items, tr(l, "digest.cohort", "cohort", quoted(c.Name), "course", c.CourseTitle,
			"start", c.StartsOn, "end", c.EndsOn, "members", strconv.Itoa(c.Members),
			"active", strconv.Itoa(c.ActiveThisWeek), "completed", strconv.Itoa(c.Completed),
			"behind", strconv.Itoa(c.Behind)))
	}
	m.Footer = tr(l, "digest.behind") + " " + m.Footer
	return true
}

// CertificateData is the data the certification package stores with a
// certificate_issued notification.
type CertificateData struct {
	CertificateID string `json:"certificate_id"`
	CourseTitle   string `json:"course_title"`
	VerifyURL     string `json:"verify_url"`
}

func (d CertificateData) compose(m *Message) bool {
	if d.CourseTitle == "" || d.VerifyURL == "" {
		return false
	}
	l := m.Lang
	m.Subject = tr(l, "certificate_issued.subject", "course", d.CourseTitle)
	m.Lines = []string{tr(l, "certificate_issued.intro", "course", d.CourseTitle), tr(l, "certificate_issued.share", "url", d.VerifyURL)}
	m.Action = &Action{Label: tr(l, "certificate_issued.action"), URL: d.VerifyURL}
	return true
}

// CohortCreatedData is the data of the notification a trainer gets when a
// cohort of theirs is created.
type CohortCreatedData struct {
	CohortID    string `json:"cohort_id"`
	CohortName  string `json:"cohort_name"`
	CourseSlug  string `json:"course_slug"`
	CourseTitle string `json:"course_title"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
	MembersURL  string `json:"members_url"`
	URL         string `json:"url"`
}

func (d CohortCreatedData) compose(m *Message) bool {
	if d.CohortName == "" {
		return false
	}
	l := m.Lang
	m.Subject = tr(l, "cohort_created.subject", "cohort", quoted(d.CohortName))
	m.Lines = []string{
		tr(l, "cohort_created.intro", "cohort", quoted(d.CohortName), "course", d.CourseTitle, "start", d.StartsOn, "end", d.EndsOn),
		tr(l, "cohort_created.members", "url", d.MembersURL),
	}
	m.Action = &Action{Label: tr(l, "cohort_created.action"), URL: d.URL}
	return true
}
