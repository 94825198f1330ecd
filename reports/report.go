package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cc "github.com/cybercampus/cybercampus"
)

// Dimensions are the names a report may be grouped by, in the order the API lists them.
var Dimensions = []string{"gender", "region", "country", "audience", "age_band", "course", "cohort", "month", "ldc", "sids", "lldc", "disability", "education_level"}

// demographic reports whether a dimension is part of the enrollment's
// demographic snapshot (every rollup is keyed by those).
func demographic(dim string) bool {
	return !slices.Contains([]string{"course", "cohort", "month"}, dim)
}

// flag reports whether a dimension's values are booleans.
func flag(dim string) bool { return dim == "ldc" || dim == "sids" || dim == "lldc" }

// MaxMinCellSize bounds ?min_cell_size=.
const MaxMinCellSize = 1000

var (
	slugRe    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Params are the raw report parameters, from a query string or an export body.
type Params struct {
	GroupBy     string `json:"group_by"`
	Course      string `json:"course"`
	Cohort      string `json:"cohort"`
	Country     string `json:"country"`
	Region      string `json:"region"`
	From        string `json:"from"`
	To          string `json:"to"`
	MinCellSize string `json:"-"`
}

// Query is a validated participation report request. Its JSON form is what
// the audit log and exports store.
type Query struct {
	GroupBy     []string `json:"group_by"`
	Course      string   `json:"course,omitempty"`
	Cohort      string   `json:"cohort,omitempty"`
	Country     string   `json:"country,omitempty"`
	Region      string   `json:"region,omitempty"`
	From        string   `json:"from,omitempty"`
	To          string   `json:"to,omitempty"`
	MinCellSize int      `json:"min_cell_size"`

	courseID string    // resolved from Course by the store
	from, to time.Time // zero when unset; to is inclusive
}

// Parse validates p, reporting every bad field at once (422). minCellSize is
// the configured floor, which a request may only raise.
func (p Params) Parse(minCellSize int) (Query, error) {
	var v cc.Validation
	q := Query{Course: p.Course, Cohort: strings.ToLower(p.Cohort), Country: p.Country, Region: p.Region,
		From: p.From, To: p.To, MinCellSize: minCellSize}
	q.GroupBy = parseGroupBy(p.GroupBy, &v)
	v.Check(p.Course == "" || (slugRe.MatchString(p.Course) && len(p.Course) >= 3 && len(p.Course) <= 80),
		"course", "must be a course slug (lower-case letters, digits and hyphens)")
	v.Check(p.Cohort == "" || cc.IsUUID(p.Cohort), "cohort", "must be a cohort ID (a UUID)")
	v.Check(p.Country == "" || countryRe.MatchString(p.Country), "country", "must be an ISO 3166-1 alpha-2 code in capitals, such as KE")
	v.Check(p.Region == "" || cc.OneOf(p.Region, cc.Regions), "region", "must be one of %s", strings.Join(cc.Regions, ", "))
	q.from = monthStart(parseDate(p.From, "from", &v))
	q.to = monthEnd(parseDate(p.To, "to", &v))
	if !q.from.IsZero() && !q.to.IsZero() && q.to.Before(q.from) {
		v.Add("to", "must not be before from")
	}
	if p.MinCellSize != "" {
		n, err := strconv.Atoi(p.MinCellSize)
		switch {
		case err != nil:
			v.Add("min_cell_size", "must be a whole number")
		case n < minCellSize:
			v.Add("min_cell_size", "may only raise the minimum cell size, which is %d", minCellSize)
		case n > MaxMinCellSize:
			v.Add("min_cell_size", "must be at most %d", MaxMinCellSize)
		default:
			q.MinCellSize = n
		}
	}
	return q, v.Err()
}

func parseGroupBy(s string, v *cc.Validation) []string {
	dims := []string{}
	if strings.TrimSpace(s) == "" {
		return dims
	}
	for _, d := range strings.Split(s, ",") {
		d = strings.TrimSpace(d)
		switch {
		case d == "":
			v.Add("group_by", "has an empty dimension")
		case !slices.Contains(Dimensions, d):
			v.Add("group_by", "%q is not a dimension (allowed: %s)", d, strings.Join(Dimensions, ", "))
		case slices.Contains(dims, d):
			v.Add("group_by", "%q is repeated", d)
		default:
			dims = append(dims, d)
		}
	}
	return dims
}

func parseDate(s, field string, v *cc.Validation) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.Add(field, "must be a date as YYYY-MM-DD")
		return time.Time{}
	}
	return t
}

// Date filters are widened to whole calendar months: from to the first day
// of its month, to to the last day of its. Windows a day apart would let an
// analyst isolate the few people who enrolled on one day, and every window is
// then answered by the month rollups, as of the same moment as every other
// report (see doc.go).
func monthStart(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func monthEnd(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return monthStart(t).AddDate(0, 1, -1)
}

// hasDates reports whether the query filters on the enrollment date.
func (q Query) hasDates() bool { return !q.from.IsZero() || !q.to.IsZero() }

// window returns the whole-month window the report covers, as dates (empty
// when unbounded).
func (q Query) window() (from, to string) {
	if !q.from.IsZero() {
		from = q.from.Format(time.DateOnly)
	}
	if !q.to.IsZero() {
		to = q.to.Format(time.DateOnly)
	}
	return from, to
}

// Counts are the measures of a cell.
type Counts struct {
	Learners     int64
	Enrollments  int64
	Completions  int64
	Certificates int64
}

// measures are the counts in the order of Counts' fields.
func (c *Counts) measures() [4]*int64 {
	return [4]*int64{&c.Learners, &c.Enrollments, &c.Completions, &c.Certificates}
}

// plus adds two counts.
func (c Counts) plus(d Counts) Counts {
	return Counts{Learners: c.Learners + d.Learners, Enrollments: c.Enrollments + d.Enrollments,
		Completions: c.Completions + d.Completions, Certificates: c.Certificates + d.Certificates}
}

// rate is completions ÷ enrollments rounded to 4 decimals; nil when undefined.
// Of perturbed counts it is at most 1: completions perturbed up and
// enrollments down could otherwise give more than all.
func (c Counts) rate() *float64 {
	if c.Enrollments == 0 {
		return nil
	}
	r := math.Round(min(1, float64(c.Completions)/float64(c.Enrollments))*10000) / 10000
	return &r
}

// Row is one cell of a report: the value of each grouped dimension (nil for
// "no cohort") and its counts. Keys holds, for each count, the sum of the
// record keys of what it counts: the cell key before its modulus. Counts are
// exact until disclose perturbs them.
type Row struct {
	dims       []string
	Values     []*string
	Counts     Counts
	Keys       Counts
	Suppressed bool
}

// MarshalJSON writes the dimensions in group_by order, then the counts.
func (r Row) MarshalJSON() ([]byte, error) {
	return r.appendJSON(nil), nil
}

// appendJSON appends the row as a JSON object: its dimensions in group_by
// order (a map would sort them), then its counts.
func (r Row) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, d := range r.dims {
		b = appendJSONString(b, d)
		b = append(b, ':')
		switch v := r.Values[i]; {
		case v == nil:
			b = append(b, "null"...)
		case flag(d):
			b = strconv.AppendBool(b, *v == "true")
		default:
			b = appendJSONString(b, *v)
		}
		b = append(b, ',')
	}
	return appendCounts(b, r.Counts, r.Suppressed)
}

// appendCounts appends the counts fields of a row or the totals and closes
// the object: null counts when suppressed, and a completion rate rounded to
// 4 decimals, null without enrollments.
func appendCounts(b []byte, c Counts, suppressed bool) []byte {
	if suppressed {
		return append(b, `"learners":null,"enrollments":null,"completions":null,"certificates":null,"completion_rate":null,"suppressed":true}`...)
	}
	b = append(b, `"learners":`...)
	b = strconv.AppendInt(b, c.Learners, 10)
	b = append(b, `,"enrollments":`...)
	b = strconv.AppendInt(b, c.Enrollments, 10)
	b = append(b, `,"completions":`...)
	b = strconv.AppendInt(b, c.Completions, 10)
	b = append(b, `,"certificates":`...)
	b = strconv.AppendInt(b, c.Certificates, 10)
	b = append(b, `,"completion_rate":`...)
	if r := c.rate(); r == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, *r, 'f', -1, 64) // a rate in [0, 1]: what encoding/json writes
	}
	return append(b, `,"suppressed":false}`...)
}

// appendJSONString appends s as a JSON string. Report values (codes, months,
// slugs, ids) are plain ASCII; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Totals are the counts over the whole filtered population, perturbed as any
// cell, and null when the population itself is smaller than min_cell_size.
type Totals struct {
	Counts     Counts
	Suppressed bool
}

// MarshalJSON writes the totals like a row without dimensions.
func (t Totals) MarshalJSON() ([]byte, error) {
	return appendCounts([]byte{'{'}, t.Counts, t.Suppressed), nil
}

// Parity is the gender parity index (female ÷ male) of learners and completions.
type Parity struct {
	Learners    *float64 `json:"learners"`
	Completions *float64 `json:"completions"`
}

// JSON renders the report. The rows are written straight into the output;
// through json.Marshal every row's own JSON would be parsed and copied again.
func (r *Report) JSON() ([]byte, error) {
	type head Report // the fields without this method
	h := head(*r)
	h.Rows = nil
	out, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	const rowsNull = `"rows":null,`
	i := bytes.Index(out, []byte(rowsNull))
	if i < 0 {
		return nil, fmt.Errorf("report JSON: rows field not found")
	}
	b := make([]byte, 0, len(out)+len(r.Rows)*160)
	b = append(b, out[:i]...)
	b = append(b, `"rows":[`...)
	for j, row := range r.Rows {
		if j > 0 {
			b = append(b, ',')
		}
		b = row.appendJSON(b)
	}
	b = append(b, "],"...)
	return append(b, out[i+len(rowsNull):]...), nil
}

// Report is a participation report. From and To are the whole months it
// covers when filtered by date.
type Report struct {
	GroupBy           []string   `json:"group_by"`
	Rows              []Row      `json:"rows"`
	Totals            Totals     `json:"totals"`
	MinCellSize       int        `json:"min_cell_size"`
	From              string     `json:"from,omitempty"`
	To                string     `json:"to,omitempty"`
	GeneratedAt       time.Time  `json:"generated_at"`
	DataAsOf          time.Time  `json:"data_as_of"`
	GenderParity      Parity     `json:"gender_parity"`
	DisclosureControl Disclosure `json:"disclosure_control"`
}
