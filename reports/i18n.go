package reports

import (
	"math"
	"strconv"
	"strings"

	cc "github.com/cybercampus/cybercampus"
)

// texts are the dashboard's words in one language (dashboardTexts), for
// the charts drawn on the server.
type texts map[string]string

// textsFor returns the words of lang, English for an unknown language.
func textsFor(lang string) texts {
	if !cc.OneOf(lang, cc.Languages) {
		lang = "en"
	}
	return texts(dashboardText(lang))
}

// get returns the text of key with each {name} replaced by the value that
// follows it in pairs; an unknown key is itself, so a gap shows rather than hides.
func (t texts) get(key string, pairs ...string) string {
	s, ok := t[key]
	if !ok {
		s = key
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

// capital is s with its first letter in capitals (no change in Arabic or Chinese).
func capital(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// value names a dimension's value as the dashboard shows it: translated
// words for the fixed value sets (gender, region, disability...), the value
// itself for names and codes (course slugs, cohort IDs, countries, months).
// The API's JSON and CSV keep the values themselves.
func (t texts) value(dim string, v *string) string {
	switch {
	case v == nil && dim == "cohort":
		return t.get("value.no_cohort")
	case v == nil:
		return t.get("value.unknown")
	}
	if s, ok := t[dim+"."+*v]; ok {
		return s
	}
	return *v
}

// numberFormat is how a language writes numbers, as the Unicode CLDR (and so
// the browser's Intl.NumberFormat, which formats the dashboard's tables)
// writes them with Latin digits.
type numberFormat struct {
	decimal, group string
	minGroup       int    // integer digits before grouping starts (Spanish groups from 10 000)
	percent        string // after the number
	sign           string // before a sign (Arabic marks the number left to right)
}

var numberFormats = map[string]numberFormat{
	"ar": {decimal: ".", group: ",", minGroup: 4, percent: "\u200e%\u200e", sign: "\u200e"},
	"en": {decimal: ".", group: ",", minGroup: 4, percent: "%"},
	"es": {decimal: ",", group: ".", minGroup: 5, percent: "\u00a0%"},
	"fr": {decimal: ",", group: "\u202f", minGroup: 4, percent: "\u00a0%"},
	"ru": {decimal: ",", group: "\u00a0", minGroup: 4, percent: "\u00a0%"},
	"zh": {decimal: ".", group: ",", minGroup: 4, percent: "%"},
}

// formatNumber writes v in lang with minFrac to maxFrac decimals; signed
// puts a + before positive numbers (a gain).
func formatNumber(lang string, v float64, minFrac, maxFrac int, signed bool) string {
	f, ok := numberFormats[lang]
	if !ok {
		f = numberFormats["en"]
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', maxFrac, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	for len(frac) > minFrac && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	out := groupDigits(intPart, f)
	if frac != "" {
		out += f.decimal + frac
	}
	zero := strings.Trim(out, "0"+f.decimal) == "" // no sign on a rounded zero
	switch {
	case v < 0 && !zero:
		out = f.sign + "-" + out
	case v > 0 && signed && !zero:
		out = f.sign + "+" + out
	}
	return out
}

func groupDigits(digits string, f numberFormat) string {
	if len(digits) < f.minGroup {
		return digits
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(f.group)
		}
		b.WriteRune(d)
	}
	return b.String()
}

// formatPercent writes a share (0.453) as a percentage with one decimal.
func formatPercent(lang string, share float64) string {
	f, ok := numberFormats[lang]
	if !ok {
		f = numberFormats["en"]
	}
	return formatNumber(lang, share*100, 1, 1, false) + f.percent
}
