package reports

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestReportJSON checks the rows written straight into the report's JSON
// against the same report built as plain maps and encoded by encoding/json:
// every dimension kind (text, flags, "no cohort"), suppressed and empty rows,
// and values that need escaping.
func TestReportJSON(t *testing.T) {
	texts := []string{"FR", "2026-03", "asia_pacific", "cyber-hygiene-101", `quo"te`, `back\slash`,
		"new\nline", "ÉtatÀ", "李", "<b>&", "\x01", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		dims := []string{}
		for _, d := range Dimensions {
			if rng.IntN(3) == 0 {
				dims = append(dims, d)
			}
		}
		rep := &Report{GroupBy: dims, MinCellSize: 5, GeneratedAt: time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC),
			DataAsOf: time.Date(2026, 12, 6, 16, 55, 0, 0, time.UTC), Rows: []Row{}}
		rep.Totals = Totals{Counts: Counts{Learners: 10, Enrollments: 12, Completions: 3, Certificates: 2}, Suppressed: rng.IntN(3) == 0}
		var want []map[string]any
		for range rng.IntN(6) {
			row := Row{dims: dims, Counts: Counts{Learners: rng.Int64N(1e9), Enrollments: rng.Int64N(1e9),
				Completions: rng.Int64N(1e9), Certificates: rng.Int64N(1e9)}, Suppressed: rng.IntN(4) == 0}
			if rng.IntN(5) == 0 {
				row.Counts.Enrollments = 0 // no completion rate
			}
			m := map[string]any{}
			for _, d := range dims {
				var v *string
				switch {
				case flag(d):
					s := []string{"true", "false"}[rng.IntN(2)]
					v, m[d] = &s, s == "true"
				case d == "cohort" && rng.IntN(2) == 0:
					m[d] = nil
				default:
					s := texts[rng.IntN(len(texts))]
					v, m[d] = &s, s
				}
				row.Values = append(row.Values, v)
			}
			for k, v := range wantCounts(row.Counts, row.Suppressed) {
				m[k] = v
			}
			rep.Rows = append(rep.Rows, row)
			want = append(want, m)
		}
		got, err := rep.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(got) {
			t.Fatalf("case %d: invalid JSON %s", n, got)
		}
		var doc struct {
			Rows []map[string]any `json:"rows"`
		}
		if err := json.Unmarshal(got, &doc); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = []map[string]any{}
		}
		if doc.Rows == nil || !reflect.DeepEqual(doc.Rows, want) {
			t.Fatalf("case %d: rows\n got %v\nwant %v", n, doc.Rows, want)
		}
		// Everything but the rows is exactly what encoding/json writes.
		var all, head map[string]any
		if err := json.Unmarshal(got, &all); err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		type plain Report
		p := plain(*rep)
		p.Rows = nil
		hb, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(hb, &head); err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		delete(all, "rows")
		delete(head, "rows")
		if !reflect.DeepEqual(all, head) {
			t.Fatalf("case %d: other fields\n got %v\nwant %v", n, all, head)
		}
		if !reflect.DeepEqual(all["totals"], wantCounts(rep.Totals.Counts, rep.Totals.Suppressed)) {
			t.Fatalf("case %d: totals %v", n, all["totals"])
		}
	}
}

// wantCounts is the documented counts object, as decoded JSON.
func wantCounts(c Counts, suppressed bool) map[string]any {
	if suppressed {
		return map[string]any{"learners": nil, "enrollments": nil, "completions": nil, "certificates": nil,
			"completion_rate": nil, "suppressed": true}
	}
	var rate any
	if c.Enrollments > 0 { // at most 1: perturbed completions may exceed perturbed enrollments
		rate = math.Round(math.Min(1, float64(c.Completions)/float64(c.Enrollments))*10000) / 10000
	}
	return map[string]any{"learners": float64(c.Learners), "enrollments": float64(c.Enrollments),
		"completions": float64(c.Completions), "certificates": float64(c.Certificates),
		"completion_rate": rate, "suppressed": false}
}

// BenchmarkReportJSON writes a country × month report of 5,000 rows.
func BenchmarkReportJSON(b *testing.B) {
	dims := []string{"country", "month"}
	rep := &Report{GroupBy: dims}
	for i := range 5000 {
		c, m := "FR", "2026-"+string(rune('0'+i%10))+"1"
		rep.Rows = append(rep.Rows, Row{dims: dims, Values: []*string{&c, &m},
			Counts: Counts{Learners: int64(i), Enrollments: int64(2 * i), Completions: int64(i / 2), Certificates: int64(i / 3)}})
	}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, err := rep.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(rep); err != nil {
				b.Fatal(err)
			}
		}
	})
}
