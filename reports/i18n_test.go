package reports

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		lang             string
		v                float64
		minFrac, maxFrac int
		signed           bool
		want             string
	}{
		{"en", 12345.5, 0, 2, false, "12,345.5"},
		{"en", 999, 0, 0, false, "999"},
		{"en", 1234567, 0, 0, false, "1,234,567"},
		{"fr", 12345.5, 0, 2, false, "12\u202f345,5"},
		{"ru", 12345.5, 0, 2, false, "12\u00a0345,5"},
		{"es", 1234, 0, 0, false, "1234"}, // Spanish groups from five digits
		{"es", 12345.5, 0, 2, false, "12.345,5"},
		{"zh", 12345.5, 0, 2, false, "12,345.5"},
		{"ar", 12345.5, 0, 2, false, "12,345.5"},
		{"ar", -1234, 0, 0, false, "\u200e-1,234"},
		{"en", 12.5, 0, 2, true, "+12.5"},
		{"fr", -3.25, 0, 2, true, "-3,25"},
		{"en", 0, 0, 2, true, "0"},
		{"en", -0.001, 0, 2, true, "0"}, // a rounded zero has no sign
		{"en", 45, 1, 1, false, "45.0"},
		{"xx", 1234.5, 0, 1, false, "1,234.5"}, // an unknown language is English
	}
	for _, tt := range tests {
		if got := formatNumber(tt.lang, tt.v, tt.minFrac, tt.maxFrac, tt.signed); got != tt.want {
			t.Errorf("formatNumber(%s, %v) = %q, want %q", tt.lang, tt.v, got, tt.want)
		}
	}
	for lang, want := range map[string]string{"en": "45.3%", "fr": "45,3\u00a0%", "ar": "45.3\u200e%\u200e", "es": "45,3\u00a0%", "ru": "45,3\u00a0%", "zh": "45.3%"} {
		if got := formatPercent(lang, 0.453); got != want {
			t.Errorf("formatPercent(%s) = %q, want %q", lang, got, want)
		}
	}
}

// Every value the dashboard and the charts name in words has its words in
// every language: a value without them would show raw in the dashboard.
func TestDimensionValuesHaveWords(t *testing.T) {
	values := map[string][]string{
		"gender": cc.Genders, "region": cc.Regions, "audience": cc.Audiences, "age_band": cc.AgeBands,
		"disability":      {"yes", "no", "not_stated"},
		"education_level": {"primary", "secondary", "tertiary", "adult", "not_stated"},
		"ldc":             {"true", "false"}, "sids": {"true", "false"}, "lldc": {"true", "false"},
	}
	for _, lang := range cc.Languages {
		for dim, vs := range values {
			for _, v := range vs {
				if _, ok := dashboardTexts[lang][dim+"."+v]; !ok {
					t.Errorf("%s: %s %q has no words", lang, dim, v)
				}
			}
		}
		for _, d := range Dimensions {
			if _, ok := dashboardTexts[lang]["dim."+d]; !ok {
				t.Errorf("%s lacks dimension %s", lang, d)
			}
		}
		for _, m := range append(append([]string{}, Measures...), ImpactMeasures...) {
			if _, ok := dashboardTexts[lang]["measure."+m]; !ok {
				t.Errorf("%s lacks measure %s", lang, m)
			}
		}
		for _, f := range append(append([]string{}, chartParams[:8]...), "measure", "email", "password") {
			if _, ok := dashboardTexts[lang]["field."+f]; !ok {
				t.Errorf("%s lacks the field hint of %s", lang, f)
			}
		}
	}
}

// Every key the dashboard's script asks for exists (in English, and so,
// by TestDashboardTextsAreComplete, in every language).
func TestDashboardScriptKeysExist(t *testing.T) {
	src, err := os.ReadFile("dashboard/app.js")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\bt\('([a-z_.]+)'`).FindAllStringSubmatch(string(src), -1)
	if len(keys) < 10 {
		t.Fatalf("only %d keys found in app.js", len(keys))
	}
	for _, k := range keys {
		if _, ok := dashboardTexts["en"][k[1]]; !ok {
			t.Errorf("app.js asks for %q, which is not in the catalogue", k[1])
		}
	}
}

func TestChartLanguages(t *testing.T) {
	gd := []string{"gender", "disability"}
	rep := Report{GroupBy: gd, MinCellSize: 5, Rows: []Row{row(gd, []string{"female", "yes"}, 1234, false),
		row(gd, []string{"male", "not_stated"}, 9, true)}}
	tests := []struct {
		lang      string
		contains  []string
		forbidden []string
	}{
		{"ar", []string{"المتعلمون حسب الجنس، الإعاقة", "نساء، ذوو إعاقة: 1,234", "رجال، الإعاقة غير مذكورة: محجوب", "الأرقام معدّلة قليلا لحماية الأفراد", "رسم بياني بالأعمدة"}, nil},
		{"fr", []string{"Apprenants par genre, handicap", "femmes, en situation de handicap : 1\u202f234", "hommes, handicap non déclaré : masqué", "Barre hachurée", "légèrement perturbés"}, nil},
		{"es", []string{"Participantes por género, discapacidad", "mujeres, con discapacidad: 1234", "suprimido"}, nil},
		{"ru", []string{"Слушатели; группировка: пол, инвалидность", "женщины, с инвалидностью: 1\u00a0234", "скрыто", "слегка искажены"}, nil},
		{"zh", []string{"按性别、残疾状况划分的学员", "女性、有残疾：1,234", "已抑制", "轻微扰动"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSVG(&buf, &rep, "learners", tt.lang); err != nil {
				t.Fatal(err)
			}
			text := svgText(t, buf.Bytes())
			for _, want := range tt.contains {
				if !strings.Contains(text, want) {
					t.Errorf("lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range []string{"Learners", "suppressed", "female", "not_stated", "Figures are"} {
				if strings.Contains(text, bad) {
					t.Errorf("English %q in the %s chart:\n%s", bad, tt.lang, text)
				}
			}
			if !strings.Contains(buf.String(), `xml:lang="`+tt.lang+`"`) {
				t.Error("the chart does not state its language")
			}
		})
	}
	t.Run("percentages in the language", func(t *testing.T) {
		var buf bytes.Buffer
		r := Report{GroupBy: []string{"gender"}, MinCellSize: 5, Rows: []Row{row([]string{"gender"}, []string{"female"}, 40, false)}}
		if err := WriteSVG(&buf, &r, "completion_rate", "fr"); err != nil {
			t.Fatal(err)
		}
		if text := svgText(t, buf.Bytes()); !strings.Contains(text, "femmes : 50,0\u00a0%") || !strings.Contains(text, "Taux d'achèvement par genre") {
			t.Errorf("French rate chart:\n%s", text)
		}
	})
	t.Run("no data", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteSVG(&buf, &Report{GroupBy: []string{"gender"}, Rows: []Row{}}, "learners", "ar"); err != nil {
			t.Fatal(err)
		}
		if text := svgText(t, buf.Bytes()); !strings.Contains(text, "لا توجد تسجيلات مطابقة لهذا الاختيار.") {
			t.Errorf("empty Arabic chart:\n%s", text)
		}
	})
}

func TestWrap(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  []string
	}{
		{"short", 20, []string{"short"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"为保护个人数字经过轻微扰动", 10, []string{"为保护个人", "数字经过轻", "微扰动"}},
		{"unbreakableword", 5, []string{"unbre", "akabl", "eword"}},
	}
	for _, tt := range tests {
		if got := wrap(tt.s, tt.width); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.s, tt.width, got, tt.want)
		}
	}
}
