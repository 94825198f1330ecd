package reports

import (
	goflag "flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = goflag.Bool("update", false, "rewrite the golden files in testdata/sql")

// TestReportSQL prints the statements a report runs, per source, into
// testdata/sql/*.sql: the whole SQL behind a report number, in the order the
// report runs it (margins first, then the rows; when both come from one
// learner rollup, one statement). Run with -update after changing the SQL,
// and read the diff.
func TestReportSQL(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		live bool
		want source // of the rows
	}{
		{"region_cells", Params{GroupBy: "gender,region"}, false, fromRegionCells},
		{"region_cells_filtered", Params{GroupBy: "disability,education_level", Region: "africa"}, false, fromRegionCells},
		{"learner_cells", Params{GroupBy: "country,age_band"}, false, fromLearnerCells},
		{"learner_cells_filtered", Params{GroupBy: "disability,education_level", Country: "KE"}, false, fromLearnerCells},
		{"month_cells", Params{GroupBy: "audience,month"}, false, fromMonthCells},
		{"geo_month_cells", Params{GroupBy: "gender,region,month"}, false, fromGeoMonthCells},
		{"place_month_cells", Params{GroupBy: "country,month", From: "2024-01-01", To: "2024-12-31"}, false, fromPlaceMonthCells},
		{"cells", Params{GroupBy: "age_band,month", Course: "intro"}, false, fromCells},
		{"state", Params{GroupBy: "cohort"}, false, fromState},
		{"enrollments", Params{GroupBy: "country,month", Region: "africa"}, true, fromEnrollments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := tt.p.Parse(5)
			if err != nil {
				t.Fatal(err)
			}
			if q.Course != "" {
				q.courseID = "00000000-0000-0000-0000-0000000000c1" // as Resolve sets it
			}
			var b strings.Builder
			fmt.Fprintf(&b, "-- %s\n", paramsLine(tt.p))
			margins := q.route([]string{"gender"})
			rows := q.route(q.GroupBy)
			if tt.live {
				margins, rows = fromEnrollments, fromEnrollments
			}
			if rows != tt.want {
				t.Fatalf("rows are counted from source %d, want %d", rows, tt.want)
			}
			if !tt.live && sameRollup(q) { // as Store.withMargins reads them
				query, _, args := withMarginsSQL(rows, q)
				fmt.Fprintf(&b, "\n-- rows, totals and the gender margin, args %q\n%s;\n", args, query)
			} else {
				writeStatements(&b, "totals and the gender margin", margins, q, []string{"gender"}, true)
				writeStatements(&b, "rows", rows, q, q.GroupBy, false)
			}
			golden(t, filepath.Join("testdata", "sql", tt.name+".sql"), b.String())
		})
	}
}

func writeStatements(b *strings.Builder, what string, src source, q Query, dims []string, total bool) {
	query, args := aggregateSQL(src, q, dims, total)
	fmt.Fprintf(b, "\n-- %s, args %q\n%s;\n", what, args, query)
}

func paramsLine(p Params) string {
	var parts []string
	for _, kv := range [][2]string{{"group_by", p.GroupBy}, {"course", p.Course}, {"country", p.Country},
		{"region", p.Region}, {"from", p.From}, {"to", p.To}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, "&")
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestReportSQL -update ./reports/)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from the SQL generated now; if the change is meant, run with -update and read the diff:\n%s", path, got)
	}
}
