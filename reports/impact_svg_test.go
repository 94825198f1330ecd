package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func i64(n int64) *int64     { return &n }
func f64(x float64) *float64 { return &x }
func impactRow(country string, f ImpactFigures) ImpactRow {
	return ImpactRow{dims: []string{"country"}, Values: []*string{&country}, ImpactFigures: f}
}

var valueBar = regexp.MustCompile(`fill="#[0-9A-F]{6}"><title>`)

func TestImpactChart(t *testing.T) {
	full := ImpactFigures{Learners: i64(40), MatchedPairs: i64(20), PreMean: f64(41.5), PostMean: f64(68.25), MeanGain: f64(26.75),
		SatisfactionMean: f64(4.2), FollowUpResponses: i64(12), AppliedShare: f64(0.5833)}
	few := ImpactFigures{Learners: i64(8), MatchedPairs: i64(0), FollowUpResponses: i64(0)} // no mean is published
	worse := ImpactFigures{Learners: i64(30), MatchedPairs: i64(10), PreMean: f64(60), PostMean: f64(55.5), MeanGain: f64(-4.5)}
	byCountry := ImpactReport{GroupBy: []string{"country"}, Rows: []ImpactRow{impactRow("KE", full), impactRow("NG", few), impactRow("FJ", worse)}}
	tests := []struct {
		name, measure, lang string
		rep                 ImpactReport
		contains            []string
		bars, hatched       int
	}{
		{"pre and post means side by side, unpublished means hatched", "scores", "en", byCountry,
			[]string{"Pre- and post-test means by country", "KE, pre-test mean: 41.5", "KE, post-test mean: 68.25",
				"NG, pre-test mean: not shown", "NG, post-test mean: not shown", "Hatched bar: not shown", "means and shares are shown only over enough people"}, 4, 2},
		{"a loss is drawn below zero", "mean_gain", "en", byCountry, []string{"Mean gain by country", "KE: +26.75", "FJ: -4.5", "NG: not shown"}, 2, 1},
		{"shares in the language", "applied_share", "fr", byCountry, []string{"Mis en pratique au travail par pays", "KE : 58,3\u00a0%", "NG : non affiché", "FJ : non affiché", "Barre hachurée : non affiché"}, 1, 2},
		{"counts", "matched_pairs", "ar", byCountry, []string{"الأزواج المتطابقة حسب البلد", "KE: 20", "NG: 0"}, 3, 0},
		{"suppressed totals without dimensions", "learners", "zh", ImpactReport{GroupBy: []string{}, Totals: ImpactFigures{Suppressed: true}},
			[]string{"学员", "全体学员：不显示"}, 0, 1},
		{"no rows", "scores", "ru", ImpactReport{GroupBy: []string{"country"}, Rows: []ImpactRow{}}, []string{"Нет записей, соответствующих выбору."}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteImpactSVG(&buf, &tt.rep, tt.measure, tt.lang); err != nil {
				t.Fatal(err)
			}
			out, text := buf.String(), svgText(t, buf.Bytes())
			for _, want := range tt.contains {
				if !strings.Contains(text, want) {
					t.Errorf("lacks %q:\n%s", want, text)
				}
			}
			if n := len(valueBar.FindAllString(out, -1)); n != tt.bars {
				t.Errorf("%d value bars, want %d", n, tt.bars)
			}
			if n := strings.Count(out, `class="hatched"`); n != tt.hatched {
				t.Errorf("%d hatched bars, want %d", n, tt.hatched)
			}
			if !strings.Contains(out, `role="img" aria-labelledby="chart-title chart-desc"`) {
				t.Error("not labelled by its title and description")
			}
		})
	}
	t.Run("a loss goes down from the zero line", func(t *testing.T) {
		c := newChart("en", kindGain)
		c.add("a", "", f64(20))
		c.add("b", "", f64(-7))
		lo, hi, _ := c.scale()
		if lo >= -7 || hi < 20 || c.y(-7) <= c.y(0) || c.y(20) >= c.y(0) {
			t.Fatalf("scale %v..%v, y(-7)=%v y(0)=%v y(20)=%v", lo, hi, c.y(-7), c.y(0), c.y(20))
		}
	})
}
