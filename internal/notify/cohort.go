package notify

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

type newCohort struct {
	ID          string    `db:"id"`
	Name        string    `db:"name"`
	StartsOn    time.Time `db:"starts_on"`
	EndsOn      time.Time `db:"ends_on"`
	OwnerID     string    `db:"owner_id"`
	OwnerName   string    `db:"owner_name"`
	Language    string    `db:"language"`
	NotifyEmail bool      `db:"notify_email"`
	CourseSlug  string    `db:"course_slug"`
	CourseTitle string    `db:"course_title"`
}

const loadNewCohort = `
SELECT co.id, co.name, co.starts_on, co.ends_on, co.owner_id, u.name AS owner_name, u.language, u.notify_email,
       c.slug AS course_slug, coalesce(cv.translations -> u.language ->> 'title', cv.title, c.slug) AS course_title
FROM cohorts co
JOIN users u ON u.id = co.owner_id
JOIN courses c ON c.id = co.course_id
LEFT JOIN course_versions cv ON cv.id = c.current_version_id
WHERE co.id = $1`

// CohortCreated handles cohort:created: it tells the owning trainer that the
// cohort exists, with its course and dates and how to add members. A cohort
// deleted since is nothing to announce; a rerun finds the notification there.
func (m *Module) CohortCreated(ctx context.Context, t *asynq.Task) error {
	var p jobs.CohortPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	var c newCohort
	if err := m.db.GetContext(ctx, &c, loadNewCohort, p.CohortID); postgres.IsNoRows(err) {
		m.logger.Info("created cohort is gone", "cohort_id", p.CohortID)
		return nil
	} else if err != nil {
		return fmt.Errorf("cohort created: load: %w", err)
	}
	d := CohortCreatedData{CohortID: c.ID, CohortName: c.Name, CourseSlug: c.CourseSlug, CourseTitle: c.CourseTitle,
		StartsOn: c.StartsOn.Format(time.DateOnly), EndsOn: c.EndsOn.Format(time.DateOnly),
		MembersURL: m.baseURL + "/v1/cohorts/" + c.ID + "/members", URL: m.baseURL + "/v1/cohorts/" + c.ID}
	_, err := m.inTx(ctx, func(tx *sqlx.Tx) (int, error) {
		_, err := create(ctx, tx, c.OwnerID, KindCohortCreated, "cohort_created:"+c.ID, d,
			Recipient{Name: c.OwnerName, Language: c.Language}, c.NotifyEmail)
		return 0, err
	})
	return err
}

// Trainer-written text (a cohort's name, a trainer's account name) reaches
// learners' inboxes from the platform's own address, so it is shown only as
// quoted, attributed plain text that no mail program turns into a link: the
// schemes and dots of anything that looks like an address are defanged
// (http[:]//evil[.]test), invisible formatting characters (bidi overrides,
// zero-width joiners) go, and the text is cut to maxQuoted characters.
const maxQuoted = 80

var (
	schemeRe = regexp.MustCompile(`(?i)\b(https?|ftps?|mailto|tel|sms|file|javascript|data|vbscript)\s*:`)
	domainRe = regexp.MustCompile(`(?i)[\p{L}\p{N}-]+(?:[.。．｡][\p{L}\p{N}-]+)*[.。．｡](?:[\p{L}]{2,63}|xn--[a-z0-9-]+)\b`)
	dotsRe   = regexp.MustCompile(`[.。．｡]`)
)

// plainText is trainer-written text made inert for an email: defanged,
// without formatting characters, on one line, at most maxQuoted characters.
func plainText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxQuoted {
		s = strings.TrimSpace(string(r[:maxQuoted-1])) + "…"
	}
	s = schemeRe.ReplaceAllString(s, "$1[:]")
	return domainRe.ReplaceAllStringFunc(s, func(d string) string { return dotsRe.ReplaceAllString(d, "[.]") })
}

// quoted is trainer-written text as a quotation: plainText between quotes.
func quoted(s string) string { return "“" + plainText(s) + "”" }
