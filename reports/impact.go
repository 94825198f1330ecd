package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cybercampus/cybercampus/internal/spreadsheet"
)

// ImpactCounts are the raw figures of one impact cell, before disclosure
// control: learners, pre/post pairs (enrollments that took both tests) with
// the sums of their scores, satisfaction responses with the sum of their
// overall rating, and follow-up responses with how many said they applied
// the course at work.
type ImpactCounts struct {
	Learners              int64   `db:"learners"`
	LearnerKeys           int64   `db:"learner_keys"` // the cell-key sums of the perturbed counts
	MatchedPairs          int64   `db:"matched_pairs"`
	PairKeys              int64   `db:"pair_keys"`
	PreSum                float64 `db:"pre_sum"`
	PostSum               float64 `db:"post_sum"`
	SatisfactionResponses int64   `db:"satisfaction_responses"`
	SatisfactionSum       float64 `db:"satisfaction_sum"`
	FollowUpResponses     int64   `db:"follow_up_responses"`
	FollowUpKeys          int64   `db:"follow_up_keys"`
	Applied               int64   `db:"applied"`
}

// ImpactFigures are a cell's published figures under the participation
// report's cell-key method: learners, matched pairs and follow-up responses
// are perturbed counts (each from its own cell key, so the same people always
// get the same figure); a mean or share is published only when the true and
// the published number of people it is over are both at least the minimum
// cell size, so no one learner's score or answer shows.
type ImpactFigures struct {
	Learners          *int64   `json:"learners"`
	MatchedPairs      *int64   `json:"matched_pairs"`
	PreMean           *float64 `json:"pre_mean"`
	PostMean          *float64 `json:"post_mean"`
	MeanGain          *float64 `json:"mean_gain"`
	SatisfactionMean  *float64 `json:"satisfaction_mean"`
	FollowUpResponses *int64   `json:"follow_up_responses"`
	AppliedShare      *float64 `json:"applied_share"`
	Suppressed        bool     `json:"suppressed"`
}

// Key offsets of the impact measures, apart from the participation
// measures' so that a count equal to one of those (every learner took both
// tests) is perturbed independently of it.
const (
	pairKeyOffset     = 43
	followUpKeyOffset = 128
)

// noisy is a count as published: the true count plus the perturbation its
// cell key picks.
func noisy(n, keySum, offset int64) int64 {
	if n <= 0 {
		return 0
	}
	key := ((keySum+offset)%KeyRange + KeyRange) % KeyRange
	return max(0, n+perturbation(n, key))
}

// publish applies the disclosure control with minimum cell size k; a cell
// whose published learners are under k is suppressed whole.
func (c ImpactCounts) publish(k int) ImpactFigures {
	min := int64(k)
	learners := noisy(c.Learners, c.LearnerKeys, 0)
	if learners < min {
		return ImpactFigures{Suppressed: true}
	}
	f := ImpactFigures{Learners: &learners}
	pairs, followUps := noisy(c.MatchedPairs, c.PairKeys, pairKeyOffset), noisy(c.FollowUpResponses, c.FollowUpKeys, followUpKeyOffset)
	f.MatchedPairs, f.FollowUpResponses = &pairs, &followUps
	if c.MatchedPairs >= min && pairs >= min {
		n := float64(c.MatchedPairs)
		f.PreMean, f.PostMean = round2(c.PreSum/n), round2(c.PostSum/n)
		f.MeanGain = round2((c.PostSum - c.PreSum) / n)
	}
	if c.SatisfactionResponses >= min {
		f.SatisfactionMean = round2(c.SatisfactionSum / float64(c.SatisfactionResponses))
	}
	if c.FollowUpResponses >= min && followUps >= min {
		f.AppliedShare = round4(float64(c.Applied) / float64(c.FollowUpResponses))
	}
	return f
}

func round2(x float64) *float64 { r := math.Round(x*100) / 100; return &r }
func round4(x float64) *float64 { r := math.Round(x*10000) / 10000; return &r }

// ImpactRow is one group of the impact report.
type ImpactRow struct {
	dims   []string
	Values []*string
	ImpactFigures
}

// MarshalJSON writes the dimensions in group_by order, then the figures.
func (r ImpactRow) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, d := range r.dims {
		v, _ := json.Marshal(r.Values[i])
		fmt.Fprintf(&b, "%q:%s,", d, v)
	}
	figs, err := json.Marshal(r.ImpactFigures)
	if err != nil {
		return nil, err
	}
	b.Write(figs[1:])
	return []byte(b.String()), nil
}

// ImpactReport is GET /v1/reports/impact.
type ImpactReport struct {
	GroupBy           []string      `json:"group_by"`
	Rows              []ImpactRow   `json:"rows"`
	Totals            ImpactFigures `json:"totals"`
	DisclosureControl Disclosure    `json:"disclosure_control"`
	GeneratedAt       time.Time     `json:"generated_at"`
	from, to          string        // the period, for the CSV's disclosure comment
}

var impactMeasures = []string{"learners", "matched_pairs", "pre_mean", "post_mean", "mean_gain",
	"satisfaction_mean", "follow_up_responses", "applied_share", "suppressed"}

// WriteImpactCSV writes the report as a spreadsheet-safe CSV, with the
// disclosure control stated on a first comment line as the participation
// CSV does; a report without dimensions is its totals in one row.
func WriteImpactCSV(w io.Writer, r *ImpactReport) error {
	cw, err := spreadsheet.NewWriter(w)
	if err != nil {
		return err
	}
	width := len(r.GroupBy) + len(impactMeasures)
	if _, err := io.WriteString(w, r.DisclosureControl.comment(r.from, r.to)+strings.Repeat(",", width-1)+"\r\n"); err != nil {
		return err
	}
	if err := cw.Write(append(append([]string{}, r.GroupBy...), impactMeasures...)); err != nil {
		return err
	}
	rows := r.Rows
	if len(r.GroupBy) == 0 {
		rows = []ImpactRow{{ImpactFigures: r.Totals}}
	}
	for _, row := range rows {
		var rec []string
		for _, v := range row.Values {
			rec = append(rec, textCell(v))
		}
		f := row.ImpactFigures
		rec = append(rec, intCell(f.Learners), intCell(f.MatchedPairs), numCell(f.PreMean), numCell(f.PostMean),
			numCell(f.MeanGain), numCell(f.SatisfactionMean), intCell(f.FollowUpResponses), numCell(f.AppliedShare),
			strconv.FormatBool(f.Suppressed))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func textCell(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func intCell(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func numCell(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// impactSQL computes the raw impact figures of q grouped by dims from the
// enrollments and what learners did after enrolling. The inner query has one
// row per enrollment (its tests and surveys aggregated first), so a learner's
// answers count once per course, and marks the first enrollment of each
// learner in each group, whose learner key the group's learner count is
// perturbed by. The SQL is assembled from the constant column names only;
// every value is a placeholder.
func impactSQL(q Query, dims []string) (string, []any) {
	var sel, outer, part []string
	for i, d := range dims {
		expr := dimText(fromEnrollments, d)
		if d == "course" {
			expr = "co.slug"
		}
		sel = append(sel, expr+" AS d"+itoa(i))
		outer = append(outer, "d"+itoa(i))
		part = append(part, expr)
	}
	w := filters(fromEnrollments, q, "e.")
	first := "row_number() OVER (PARTITION BY " + strings.Join(append(part, "e.user_id"), ", ") + " ORDER BY e.id) = 1 AS first"
	inner := "SELECT " + strings.Join(append(sel, impactRowSQL, first), ", ") + impactFrom + w.sql()
	s := "SELECT " + strings.Join(append(outer, impactMeasuresSQL), ", ") + " FROM (" + inner + ") r"
	if len(outer) > 0 {
		s += " GROUP BY " + strings.Join(outer, ", ") + " ORDER BY " + strings.Join(outer, ", ")
	}
	return s, w.args
}

const impactRowSQL = `e.user_id, e.learner_key, e.record_key, pre.score AS pre, post.score AS post, sat.rating, fu.n AS fu_n, fu.applied AS fu_applied`

const impactMeasuresSQL = `count(DISTINCT user_id) AS learners,
	coalesce(sum(learner_key) FILTER (WHERE first), 0) AS learner_keys,
	count(*) FILTER (WHERE pre IS NOT NULL AND post IS NOT NULL) AS matched_pairs,
	coalesce(sum(record_key) FILTER (WHERE pre IS NOT NULL AND post IS NOT NULL), 0) AS pair_keys,
	coalesce(sum(pre) FILTER (WHERE post IS NOT NULL), 0) AS pre_sum,
	coalesce(sum(post) FILTER (WHERE pre IS NOT NULL), 0) AS post_sum,
	count(rating) AS satisfaction_responses, coalesce(sum(rating), 0) AS satisfaction_sum,
	coalesce(sum(fu_n), 0) AS follow_up_responses, coalesce(sum(fu_n * record_key), 0) AS follow_up_keys,
	coalesce(sum(fu_applied), 0) AS applied`

// impactFrom joins each enrollment to its tests and surveys. The follow-ups
// are counted per enrollment in one grouped pass that is hash-joined, not in
// a LATERAL subquery, which PostgreSQL runs once per enrollment (an index
// probe for every enrollment in the report).
const impactFrom = ` FROM enrollments e JOIN courses co ON co.id = e.course_id
	LEFT JOIN assessment_attempts pre ON pre.enrollment_id = e.id AND pre.kind = 'pre'
	LEFT JOIN assessment_attempts post ON post.enrollment_id = e.id AND post.kind = 'post'
	LEFT JOIN LATERAL (SELECT (s.answers ->> 'overall')::numeric AS rating FROM surveys s
		WHERE s.enrollment_id = e.id AND s.kind = 'satisfaction' AND s.responded_at IS NOT NULL) sat ON true
	LEFT JOIN (SELECT s.enrollment_id, count(*) AS n, count(*) FILTER (WHERE (s.answers ->> 'applied')::boolean) AS applied
		FROM surveys s WHERE s.kind IN ('follow_up_90', 'follow_up_180') AND s.responded_at IS NOT NULL
		GROUP BY s.enrollment_id) fu ON fu.enrollment_id = e.id`

// ImpactCells returns the raw (unprotected) figures of q grouped by its
// dimensions, and the totals; the impact report publishes them through
// ImpactCounts.publish.
func (s *Store) ImpactCells(ctx context.Context, q Query) ([][]*string, []ImpactCounts, ImpactCounts, error) {
	var total ImpactCounts
	tq, targs := impactSQL(q, nil)
	if err := s.rdb.GetContext(ctx, &total, tq, targs...); err != nil {
		return nil, nil, total, fmt.Errorf("impact totals: %w", err)
	}
	if len(q.GroupBy) == 0 {
		return nil, nil, total, nil
	}
	query, args := impactSQL(q, q.GroupBy)
	rows, err := s.rdb.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, nil, total, fmt.Errorf("impact rows: %w", err)
	}
	defer rows.Close()
	var values [][]*string
	var counts []ImpactCounts
	for rows.Next() {
		vals := make([]*string, len(q.GroupBy))
		var c ImpactCounts
		dest := []any{}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		dest = append(dest, &c.Learners, &c.LearnerKeys, &c.MatchedPairs, &c.PairKeys, &c.PreSum, &c.PostSum,
			&c.SatisfactionResponses, &c.SatisfactionSum, &c.FollowUpResponses, &c.FollowUpKeys, &c.Applied)
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, total, err
		}
		values, counts = append(values, vals), append(counts, c)
	}
	return values, counts, total, rows.Err()
}

// Impact is the impact report of q under disclosure control.
func (s *Store) Impact(ctx context.Context, q Query) (*ImpactReport, error) {
	values, counts, total, err := s.ImpactCells(ctx, q)
	if err != nil {
		return nil, err
	}
	r := &ImpactReport{GroupBy: q.GroupBy, Rows: []ImpactRow{}, Totals: total.publish(q.MinCellSize),
		GeneratedAt: s.now().UTC(), from: q.From, to: q.To,
		DisclosureControl: disclosure(q.MinCellSize)}
	if r.GroupBy == nil {
		r.GroupBy = []string{}
	}
	for i, c := range counts {
		// As in the participation report, a group too small to show is not
		// listed at all, so its dimension values never reveal that it exists.
		if f := c.publish(q.MinCellSize); !f.Suppressed {
			r.Rows = append(r.Rows, ImpactRow{dims: q.GroupBy, Values: values[i], ImpactFigures: f})
		}
	}
	return r, nil
}
