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
	MatchedPairs          int64   `db:"matched_pairs"`
	PreSum                float64 `db:"pre_sum"`
	PostSum               float64 `db:"post_sum"`
	SatisfactionResponses int64   `db:"satisfaction_responses"`
	SatisfactionSum       float64 `db:"satisfaction_sum"`
	FollowUpResponses     int64   `db:"follow_up_responses"`
	Applied               int64   `db:"applied"`
}

// ImpactFigures are a cell's published figures: a count below the minimum
// cell size is null, and a mean is published only over at least that many
// people (pairs, responses), so no one learner's score or answer shows.
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

// publish applies the disclosure control with minimum cell size k.
func (c ImpactCounts) publish(k int) ImpactFigures {
	min := int64(k)
	if c.Learners < min {
		return ImpactFigures{Suppressed: true}
	}
	f := ImpactFigures{Learners: &c.Learners}
	if c.MatchedPairs >= min {
		n := float64(c.MatchedPairs)
		f.MatchedPairs = &c.MatchedPairs
		f.PreMean, f.PostMean = round2(c.PreSum/n), round2(c.PostSum/n)
		f.MeanGain = round2((c.PostSum - c.PreSum) / n)
	}
	if c.SatisfactionResponses >= min {
		f.SatisfactionMean = round2(c.SatisfactionSum / float64(c.SatisfactionResponses))
	}
	if c.FollowUpResponses >= min {
		f.FollowUpResponses = &c.FollowUpResponses
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

// DisclosureControl says how an impact report protects individuals.
type DisclosureControl struct {
	Method      string `json:"method"`
	MinCellSize int    `json:"min_cell_size"`
	Note        string `json:"note"`
}

// ImpactReport is GET /v1/reports/impact.
type ImpactReport struct {
	GroupBy           []string          `json:"group_by"`
	Rows              []ImpactRow       `json:"rows"`
	Totals            ImpactFigures     `json:"totals"`
	DisclosureControl DisclosureControl `json:"disclosure_control"`
	GeneratedAt       time.Time         `json:"generated_at"`
}

var impactMeasures = []string{"learners", "matched_pairs", "pre_mean", "post_mean", "mean_gain",
	"satisfaction_mean", "follow_up_responses", "applied_share", "suppressed"}

// WriteImpactCSV writes the report as a spreadsheet-safe CSV; a report
// without dimensions is its totals in one row.
func WriteImpactCSV(w io.Writer, r *ImpactReport) error {
	cw, err := spreadsheet.NewWriter(w)
	if err != nil {
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
// enrollments and what learners did after enrolling. Every enrollment is one
// row (its tests and surveys are aggregated per enrollment first), so a
// learner's answers count once per course. The SQL is assembled from the
// constant column names only; every value is a placeholder.
func impactSQL(q Query, dims []string) (string, []any) {
	var sel, group []string
	for i, d := range dims {
		expr := dimText(fromEnrollments, d)
		if d == "course" {
			expr = "co.slug"
		}
		sel = append(sel, expr+" AS d"+itoa(i))
		group = append(group, itoa(i+1))
	}
	w := filters(fromEnrollments, q, "e.")
	s := "SELECT " + strings.Join(append(sel, impactMeasuresSQL), ", ") + impactFrom + w.sql()
	if len(group) > 0 {
		s += " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", ")
	}
	return s, w.args
}

const impactMeasuresSQL = `count(DISTINCT e.user_id) AS learners,
	count(*) FILTER (WHERE pre.score IS NOT NULL AND post.score IS NOT NULL) AS matched_pairs,
	coalesce(sum(pre.score) FILTER (WHERE post.score IS NOT NULL), 0) AS pre_sum,
	coalesce(sum(post.score) FILTER (WHERE pre.score IS NOT NULL), 0) AS post_sum,
	count(sat.rating) AS satisfaction_responses, coalesce(sum(sat.rating), 0) AS satisfaction_sum,
	coalesce(sum(fu.n), 0) AS follow_up_responses, coalesce(sum(fu.applied), 0) AS applied`

const impactFrom = ` FROM enrollments e JOIN courses co ON co.id = e.course_id
	LEFT JOIN assessment_attempts pre ON pre.enrollment_id = e.id AND pre.kind = 'pre'
	LEFT JOIN assessment_attempts post ON post.enrollment_id = e.id AND post.kind = 'post'
	LEFT JOIN LATERAL (SELECT (s.answers ->> 'overall')::numeric AS rating FROM surveys s
		WHERE s.enrollment_id = e.id AND s.kind = 'satisfaction' AND s.responded_at IS NOT NULL) sat ON true
	LEFT JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE (s.answers ->> 'applied')::boolean) AS applied
		FROM surveys s WHERE s.enrollment_id = e.id AND s.kind IN ('follow_up_90', 'follow_up_180')
		AND s.responded_at IS NOT NULL) fu ON true`

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
		dest = append(dest, &c.Learners, &c.MatchedPairs, &c.PreSum, &c.PostSum, &c.SatisfactionResponses,
			&c.SatisfactionSum, &c.FollowUpResponses, &c.Applied)
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
		GeneratedAt: s.now().UTC(),
		DisclosureControl: DisclosureControl{Method: "threshold", MinCellSize: q.MinCellSize,
			Note: "A count below min_cell_size is null; a mean is given only over at least min_cell_size people."}}
	if r.GroupBy == nil {
		r.GroupBy = []string{}
	}
	for i, c := range counts {
		r.Rows = append(r.Rows, ImpactRow{dims: q.GroupBy, Values: values[i], ImpactFigures: c.publish(q.MinCellSize)})
	}
	return r, nil
}
