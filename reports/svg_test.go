package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func row(dims []string, vals []string, learners int64, suppressed bool) Row {
	r := Row{dims: dims, Counts: Counts{Learners: learners, Enrollments: learners, Completions: learners / 2}, Suppressed: suppressed}
	for _, v := range vals {
		r.Values = append(r.Values, &v)
	}
	return r
}

// svgText checks that out is well-formed XML and returns its text content.
func svgText(t *testing.T, out []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(out))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return text.String()
		} else if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, out)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
			text.WriteByte('\n')
		}
	}
}

func TestChart(t *testing.T) {
	g := []string{"gender"}
	gr := []string{"region", "gender"}
	tests := []struct {
		name      string
		rep       Report
		contains  []string
		hatched   int
		bars      int
		forbidden []string
	}{
		{"one dimension", Report{GroupBy: g, Rows: []Row{row(g, []string{"female"}, 40, false), row(g, []string{"male"}, 25, false)}},
			[]string{"Learners by gender", "women: 40", "men: 25"}, 0, 2, []string{"female"}},
		{"two dimensions are grouped bars with a legend",
			Report{GroupBy: gr, Rows: []Row{row(gr, []string{"africa", "female"}, 40, false), row(gr, []string{"africa", "male"}, 30, false),
				row(gr, []string{"europe", "female"}, 9, true), row(gr, []string{"europe", "male"}, 12, true)}},
			[]string{"Learners by region, gender", "Africa, women: 40", "Europe, men: suppressed", "Hatched bar: suppressed"}, 2, 2, nil},
		{"all suppressed are drawn as suppressed, not as zero",
			Report{GroupBy: g, Rows: []Row{row(g, []string{"female"}, 2, true), row(g, []string{"male"}, 7, true)}},
			[]string{"women: suppressed", "men: suppressed"}, 2, 0, []string{": 0"}},
		{"disability statuses are named in words",
			Report{GroupBy: []string{"gender", "disability"}, Rows: []Row{row([]string{"gender", "disability"}, []string{"female", "yes"}, 9, false),
				row([]string{"gender", "disability"}, []string{"female", "not_stated"}, 30, false), row([]string{"gender", "disability"}, []string{"male", "no"}, 12, false)}},
			[]string{"Learners by gender, disability", "women, with disability: 9", "women, disability not stated: 30", "men, without disability: 12"},
			0, 2, []string{"yes", "not_stated"}},
		{"empty", Report{GroupBy: g, Rows: []Row{}}, []string{"No enrollments match this selection."}, 0, 0, nil},
		{"text is escaped", Report{GroupBy: []string{"course"}, Rows: []Row{row([]string{"course"}, []string{`<script>&"x"`}, 9, false)}},
			[]string{`<script>&"x": 9`}, 0, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rep.MinCellSize = 5
			var buf bytes.Buffer
			if err := WriteSVG(&buf, &tt.rep, "learners", "en"); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			text := svgText(t, buf.Bytes())
			for _, want := range []string{`role="img"`, `aria-labelledby="chart-title chart-desc"`, `<title id="chart-title">`, `<desc id="chart-desc">`} {
				if !strings.Contains(out, want) {
					t.Errorf("missing %s", want)
				}
			}
			for _, want := range tt.contains {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range tt.forbidden {
				if strings.Contains(text, bad) {
					t.Errorf("text has %q", bad)
				}
			}
			if n := strings.Count(out, `class="hatched"`); n != tt.hatched {
				t.Errorf("%d suppressed marks, want %d", n, tt.hatched)
			}
			if n := strings.Count(out, `fill="#0072B2"><title>`) + strings.Count(out, `fill="#E69F00"><title>`); n != tt.bars {
				t.Errorf("%d value bars, want %d", n, tt.bars)
			}
			if strings.Contains(out, "<script") || strings.Contains(out, "href=") || strings.Count(out, "http") != 1 {
				t.Errorf("external or active content in %s", out)
			}
		})
	}
}

func TestCSVCells(t *testing.T) {
	c := []string{"course", "cohort"}
	nul := Row{dims: c, Values: []*string{strPtr("=HYPERLINK(1)"), nil}, Counts: Counts{Learners: 6, Enrollments: 7}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, &Report{GroupBy: c, Rows: []Row{nul}}); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, buf.Bytes())
	t.Run("formula-like values are neutralised and no cohort is an empty cell", func(t *testing.T) {
		if got := strings.Join(recs[1], "|"); got != "'=HYPERLINK(1)||6|7|0|0|0|false" {
			t.Fatalf("%q", got)
		}
	})
	t.Run("lines end with CRLF", func(t *testing.T) {
		if !strings.Contains(buf.String(), "suppressed\r\n") {
			t.Fatalf("%q", buf.String())
		}
	})
	t.Run("no dimensions gives the totals row", func(t *testing.T) {
		var b bytes.Buffer
		WriteCSV(&b, &Report{GroupBy: []string{}, Totals: Totals{Counts: Counts{Learners: 9, Enrollments: 10, Completions: 5}}})
		if !strings.HasSuffix(b.String(), "\r\n9,10,5,0,0.5,false\r\n") {
			t.Fatalf("%q", b.String())
		}
	})
}

func strPtr(s string) *string { return &s }
