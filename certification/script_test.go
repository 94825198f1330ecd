package certification

import (
	"fmt"
	"testing"
)

func codepoints(s string) string {
	out := ""
	for _, r := range s {
		out += fmt.Sprintf("%04X ", r)
	}
	return out
}

func TestShapeArabic(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"dual-joining letters take initial, medial and final forms", "محمد", "\uFEE3\uFEA4\uFEE4\uFEAA"},
		{"a right-joining letter breaks the word", "دار", "\uFEA9\uFE8D\uFEAD"},
		{"lam-alef ligature, isolated", "لا", "\uFEFB"},
		{"lam-alef ligature joined to the previous letter", "سلام", "\uFEB3\uFEFC\uFEE1"},
		{"lam with hamza-alef", "لأ", "\uFEF7"},
		{"final yeh after medial lam", "علي", "\uFECB\uFEE0\uFEF2"},
		{"teh marbuta final", "فاطمة", "\uFED3\uFE8E\uFEC3\uFEE4\uFE94"},
		{"hamza never joins", "ماء", "\uFEE3\uFE8E\uFE80"},
		{"marks are transparent", "مُحَمَّد", "\uFEE3\u064F\uFEA4\u064E\uFEE4\u064E\u0651\uFEAA"},
		{"Persian peh joins a following jeh", "پژ", "\uFB58\uFB8B"},
		{"Persian keheh and yeh", "کی", "\uFB90\uFBFD"},
		{"single letter is isolated", "ب", "\uFE8F"},
		{"words are shaped separately", "بب بب", "\uFE91\uFE90 \uFE91\uFE90"},
		{"tatweel joins", "بـب", "\uFE91\u0640\uFE90"},
		{"Latin text is untouched", "Ali 12", "Ali 12"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ShapeArabic(c.in); got != c.want {
				t.Fatalf("ShapeArabic(%q) = %s, want %s", c.in, codepoints(got), codepoints(c.want))
			}
		})
	}
}

func TestArabicTableIsConsistent(t *testing.T) {
	for r, f := range arabicForms {
		if f[0] == 0 {
			t.Errorf("%04X has no isolated form", r)
		}
		if (f[2] == 0) != (f[3] == 0) || f[2] != 0 && f[1] == 0 {
			t.Errorf("%04X has an inconsistent set of forms %X", r, f)
		}
	}
	if len(arabicForms) < 36 {
		t.Fatalf("only %d letters", len(arabicForms))
	}
}

func TestVisualRuns(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []run
	}{
		{"Latin stays as it is", "Zoë Smith", []run{{scriptLatin, "Zoë Smith"}}},
		{"Arabic is shaped and reversed", "علي", []run{{scriptArabic, "\uFEF2\uFEE0\uFECB"}}},
		{"Arabic paragraph with a Latin word", "علي Ali", []run{{scriptLatin, "Ali"}, {scriptArabic, " \uFEF2\uFEE0\uFECB"}}},
		{"Latin paragraph with an Arabic word", "Ali علي", []run{{scriptLatin, "Ali "}, {scriptArabic, "\uFEF2\uFEE0\uFECB"}}},
		{"Chinese", "王小明", []run{{scriptCJK, "王小明"}}},
		{"Chinese then Latin punctuation", "基础 — A", []run{{scriptCJK, "基础 "}, {scriptLatin, "— A"}}},
		{"Devanagari short i moves before its consonant", "कि", []run{{scriptDevanagari, "\u093F\u0915"}}},
		{"Devanagari short i moves before a conjunct", "स्कि", []run{{scriptDevanagari, "\u093F\u0938\u094D\u0915"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := visualRuns(c.in)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("visualRuns(%q) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestBitstring(t *testing.T) {
	set := []int{0, 7, 8, 4242, StatusListSize - 1}
	enc, err := EncodeBitstring(StatusListSize, set)
	if err != nil || enc[0] != 'u' {
		t.Fatalf("%q %v", enc[:min(10, len(enc))], err)
	}
	bits, err := decodeBitstring(enc)
	if err != nil || len(bits) != StatusListSize/8 {
		t.Fatalf("%d bytes, %v", len(bits), err)
	}
	if bits[0] != 0x81 {
		t.Fatalf("first byte %08b: index 0 must be the most significant bit", bits[0])
	}
	n := 0
	for i := range StatusListSize {
		if bitSet(bits, i) {
			n++
		}
	}
	if n != len(set) || !bitSet(bits, 4242) {
		t.Fatalf("%d bits set", n)
	}
	for _, bad := range []string{"", "zabc", "u!!!", "uAAAA"} {
		if _, err := decodeBitstring(bad); err == nil {
			t.Errorf("decodeBitstring(%q) accepted", bad)
		}
	}
}
