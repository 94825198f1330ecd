package reports

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

// fuzzFloor is the configured minimum cell size the fuzzed parser runs with.
const fuzzFloor = 5

// FuzzReportQuery feeds hostile parameters to the report query parser behind
// /v1/reports/participation, the chart and exports. It answers a 422 naming
// report parameters or a query that is sound: it never accepts an unknown or
// repeated dimension, a malformed filter, dates out of order or a minimum cell
// size below the configured floor, and the query as stored (its JSON form, in
// the audit log and exports) parses again to the same query.
func FuzzReportQuery(f *testing.F) {
	for _, p := range []Params{
		{GroupBy: "gender,region"},
		{GroupBy: " gender , age_band ,month", Country: "KE", From: "2026-01-01", To: "2026-03-31", MinCellSize: "10"},
		{GroupBy: "course,cohort,ldc,sids,lldc", Course: "online-safety", Cohort: "7C9E6679-7425-40DE-944B-E07FC1F90AE7"},
		{GroupBy: "gender,gender"}, {GroupBy: "gender,"}, {GroupBy: "name"}, {GroupBy: "Gender"}, {GroupBy: "email,user_id"},
		{GroupBy: "gender; DROP TABLE enrollments; --"}, {Course: "x' OR '1'='1"}, {Region: "<script>alert(1)</script>"},
		{From: "2026-02-30"}, {From: "2026-03-01", To: "2026-02-01"}, {MinCellSize: "1"}, {MinCellSize: "-5"},
		{MinCellSize: "99999999999999999999"}, {MinCellSize: "1e3"}, {Country: "ke"}, {Cohort: "not-a-uuid"},
		{GroupBy: "gender\x00region"}, {GroupBy: "\xff\xfe"},
	} {
		f.Add(p.GroupBy, p.Course, p.Cohort, p.Country, p.Region, p.From, p.To, p.MinCellSize)
	}
	f.Fuzz(func(t *testing.T, groupBy, course, cohort, country, region, from, to, minCell string) {
		p := Params{GroupBy: groupBy, Course: course, Cohort: cohort, Country: country, Region: region, From: from, To: to, MinCellSize: minCell}
		q, err := p.Parse(fuzzFloor)
		if err != nil {
			e, ok := err.(*cc.Error)
			if !ok || e.Code != cc.EINVALID || len(e.Fields) == 0 {
				t.Fatalf("refusal %v is not a 422 with fields", err)
			}
			for _, fe := range e.Fields {
				if !slices.Contains(reportParams, fe.Field) {
					t.Fatalf("422 names %q, not a report parameter", fe.Field)
				}
			}
			return
		}
		if strings.TrimSpace(groupBy) != "" {
			for _, d := range strings.Split(groupBy, ",") {
				if !slices.Contains(Dimensions, strings.TrimSpace(d)) {
					t.Fatalf("group_by %q accepted with the unknown dimension %q", groupBy, d)
				}
			}
		}
		for i, d := range q.GroupBy {
			if !slices.Contains(Dimensions, d) || slices.Contains(q.GroupBy[:i], d) {
				t.Fatalf("dimension %q accepted in %v", d, q.GroupBy)
			}
		}
		if q.MinCellSize < fuzzFloor || q.MinCellSize > MaxMinCellSize {
			t.Fatalf("min_cell_size %d accepted", q.MinCellSize)
		}
		if (q.Country != "" && !countryRe.MatchString(q.Country)) || (q.Region != "" && !cc.OneOf(q.Region, cc.Regions)) ||
			(q.Cohort != "" && (!cc.IsUUID(q.Cohort) || q.Cohort != strings.ToLower(q.Cohort))) ||
			(q.Course != "" && !slugRe.MatchString(q.Course)) {
			t.Fatalf("malformed filter accepted: %+v", q)
		}
		if !q.from.IsZero() && !q.to.IsZero() && q.to.Before(q.from) {
			t.Fatalf("dates out of order accepted: %+v", q)
		}
		stored, _ := json.Marshal(q)
		var back Query
		if err := json.Unmarshal(stored, &back); err != nil {
			t.Fatal(err)
		}
		p2 := Params{GroupBy: strings.Join(back.GroupBy, ","), Course: back.Course, Cohort: back.Cohort, Country: back.Country,
			Region: back.Region, From: back.From, To: back.To}
		if back.MinCellSize != fuzzFloor {
			p2.MinCellSize = strconv.Itoa(back.MinCellSize)
		}
		q2, err := p2.Parse(fuzzFloor)
		if err != nil {
			t.Fatalf("stored query %s does not parse again: %v", stored, err)
		}
		if again, _ := json.Marshal(q2); string(again) != string(stored) || !q2.from.Equal(q.from) || !q2.to.Equal(q.to) {
			t.Fatalf("stored query changed when parsed again: %s → %s", stored, again)
		}
	})
}
