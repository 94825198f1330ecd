package certification

import (
	"slices"
	"strings"
	"unicode"
)

// script is the font class a run of text needs.
type script int

const (
	scriptNeutral    script = iota // spaces and marks: take the neighbouring run's font
	scriptLatin                    // Latin, Greek, Cyrillic and digits: Noto Sans
	scriptArabic                   // Noto Naskh Arabic, shaped and laid out right to left
	scriptCJK                      // Droid Sans Fallback
	scriptDevanagari               // Noto Sans Devanagari
	scriptHebrew                   // DejaVu Sans, laid out right to left
	scriptFallback                 // DejaVu Sans: Armenian, Georgian, symbols... for what the others lack
)

// rightToLeft reports the scripts written right to left.
func (s script) rightToLeft() bool { return s == scriptArabic || s == scriptHebrew }

func scriptOf(r rune) script {
	switch {
	case unicode.Is(unicode.Arabic, r):
		return scriptArabic
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo),
		r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
		return scriptCJK
	case unicode.Is(unicode.Devanagari, r):
		return scriptDevanagari
	case unicode.Is(unicode.Hebrew, r):
		return scriptHebrew
	case unicode.IsLetter(r), unicode.IsDigit(r):
		return scriptLatin
	}
	return scriptNeutral
}

// run is a stretch of text in one script, already in visual (left to right) order.
type run struct {
	script script
	text   string
}

// visualRuns splits a line into script runs in the order they are drawn left
// to right. A line whose first strong letter is Arabic is a right-to-left
// paragraph: its runs are drawn in reverse order (Hebrew likewise). Arabic runs are shaped and
// reversed; Devanagari runs get their pre-base vowel sign moved before the
// consonant. Characters the run's font lacks move to a font that has them or
// become a placeholder (drawable). This covers names and titles, not the full
// bidi algorithm.
func visualRuns(s string) []run {
	var runs []run
	var cur []rune
	curScript := scriptNeutral
	rtl, decided := false, false
	flush := func() {
		if len(cur) > 0 {
			runs = append(runs, run{curScript, string(cur)})
		}
		cur = nil
	}
	for _, r := range s {
		sc := scriptOf(r)
		if sc != scriptNeutral && !decided {
			rtl, decided = sc.rightToLeft(), true
		}
		if sc == scriptNeutral && !unicode.IsSpace(r) && !unicode.Is(unicode.Mn, r) {
			sc = scriptLatin // punctuation and symbols: only Noto Sans has them all
		}
		if sc != scriptNeutral && sc != curScript && curScript != scriptNeutral {
			flush()
		}
		if sc != scriptNeutral {
			curScript = sc
		}
		cur = append(cur, r)
	}
	flush()
	for i := range runs {
		if runs[i].script == scriptNeutral {
			runs[i].script = scriptLatin
		}
		switch runs[i].script {
		case scriptArabic:
			runs[i].text = reverseClusters(ShapeArabic(runs[i].text))
		case scriptHebrew:
			runs[i].text = reverseClusters(runs[i].text)
		case scriptDevanagari:
			runs[i].text = ReorderDevanagari(runs[i].text)
		}
	}
	if rtl {
		slices.Reverse(runs)
	}
	return drawable(runs)
}

// reverseClusters reverses s for right-to-left display, keeping each
// combining mark after its base letter.
func reverseClusters(s string) string {
	var clusters [][]rune
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) && len(clusters) > 0 {
			last := len(clusters) - 1
			clusters[last] = append(clusters[last], r)
			continue
		}
		clusters = append(clusters, []rune{r})
	}
	slices.Reverse(clusters)
	return string(slices.Concat(clusters...))
}

const (
	lam     = 0x0644
	tatweel = 0x0640
	zwj     = 0x200D
)

// joinsBothSides reports letters that connect to the following letter too.
func joinsBothSides(r rune) bool {
	f, ok := arabicForms[r]
	return r == tatweel || r == zwj || ok && f[2] != 0
}

// joinsRight reports letters that connect to the preceding letter.
func joinsRight(r rune) bool {
	f, ok := arabicForms[r]
	return r == tatweel || r == zwj || ok && f[1] != 0
}

// ShapeArabic replaces Arabic letters (in logical order) with their contextual
// presentation forms and forms the mandatory lam-alef ligatures, so that a
// font without OpenType shaping draws connected script. Marks are transparent.
func ShapeArabic(s string) string {
	in := []rune(s)
	out := make([]rune, 0, len(in))
	for i := 0; i < len(in); i++ {
		r := in[i]
		forms, ok := arabicForms[r]
		if !ok {
			out = append(out, r)
			continue
		}
		prev, next := neighbour(in, i, -1), neighbour(in, i, +1)
		joinPrev := joinsRight(r) && prev >= 0 && joinsBothSides(in[prev])
		if r == lam && next >= 0 {
			if lig, ok := lamAlef[in[next]]; ok {
				out = append(out, lig[boolIndex(joinPrev)])
				out = append(out, in[i+1:next]...) // marks between lam and alef
				i = next
				continue
			}
		}
		joinNext := joinsBothSides(r) && next >= 0 && joinsRight(in[next])
		out = append(out, pick(forms, joinPrev, joinNext))
	}
	return string(out)
}

// neighbour returns the index of the nearest non-mark rune in direction dir, or -1.
func neighbour(in []rune, i, dir int) int {
	for j := i + dir; j >= 0 && j < len(in); j += dir {
		if !unicode.Is(unicode.Mn, in[j]) {
			return j
		}
	}
	return -1
}

func pick(forms [4]rune, joinPrev, joinNext bool) rune {
	var f rune
	switch {
	case joinPrev && joinNext:
		f = forms[3]
	case joinPrev:
		f = forms[1]
	case joinNext:
		f = forms[2]
	}
	if f == 0 {
		f = forms[0]
	}
	return f
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

const (
	devaVowelI = 0x093F // DEVANAGARI VOWEL SIGN I, drawn before its consonant cluster
	devaVirama = 0x094D
)

// ReorderDevanagari moves each short-i vowel sign before the consonant cluster
// it follows in logical order, which is where it is drawn. Conjuncts without
// OpenType shaping keep their visible virama, which is still legible.
func ReorderDevanagari(s string) string {
	rs := []rune(s)
	for i := 1; i < len(rs); i++ {
		if rs[i] != devaVowelI {
			continue
		}
		start := i - 1
		for start >= 2 && rs[start-1] == devaVirama {
			start -= 2 // include consonant+virama before the cluster's last consonant
		}
		copy(rs[start+1:i+1], rs[start:i])
		rs[start] = devaVowelI
	}
	return string(rs)
}

// PublicName is how a minor's name appears where anyone can see it: the
// first name and the initial of the last, "Amina Wanjiru Otieno" becoming
// "Amina O.". A single name stays as it is.
func PublicName(full string) string {
	words := strings.Fields(full)
	if len(words) < 2 {
		return full
	}
	last := []rune(words[len(words)-1])
	return words[0] + " " + string(last[0]) + "."
}
