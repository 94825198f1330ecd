package certification

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

// names are learner names in many scripts, with emoji and characters beyond
// the Basic Multilingual Plane; want is text the PDF must show (letters of
// fonts we ship), and placeholder whether a character no font has is in it.
var names = []struct {
	name, want  string
	placeholder bool
}{
	{"Mariam 🙂", "Mariam", true},
	{"Ana 👨‍👩‍👧 Silva", "Silva", true},
	{"Kofi Mensah 🇬🇭", "Mensah", true},
	{"Lea 👍🏽", "Lea", true},
	{"❤️ Amara", "Amara", false}, // U+2764 with a variation selector: Noto Sans or a fallback has the heart
	{"𝐀𝐥𝐢 Khan", "Khan", true},   // mathematical bold, beyond the BMP
	{"𠀀明 Li", "Li", true},        // CJK extension B, beyond the BMP
	{"김민준", "", true},            // most Hangul syllables are beyond the PDF library's reach in Droid Sans Fallback
	{"山田 さくら", "さくら", false},
	{"Ἀλέξανδρος", "Ἀλέξανδρος", false},
	{"Тарас Шевченко", "Шевченко", false},
	{"ნინო ბერიძე", "ბერიძე", false},
	{"Արամ Խաչատրյան", "Խաչատրյան", false},
	{"Amara ☺ ✓", "Amara", false},
	{"สมชาย ใจดี", "", false},
	{"דוד כהן", "", false}, // right to left: checked in TestPDFHebrewName
	{"አበበ ቢቂላ", "", false},
	{"முருகன்", "", false},
	{"রবীন্দ্রনাথ", "", false},
	{"ស្រីពៅ", "", false},
	{"A\x00B\nC\u202eD", "", false},
	{"bad \xff utf-8", "bad", false},
	{"", "", false},
}

func TestPDFNamesInAnyScript(t *testing.T) {
	for _, c := range names {
		t.Run(c.name, func(t *testing.T) {
			rec := Record{ID: "6f1c1c52-4b8e-4d3e-9a34-5f0a2b7c9d10", LearnerName: c.name, CourseTitle: "Cyber 🛡️ Hygiene " + c.name,
				IssuedAt: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC), VerifyURL: "http://cybercampus.test/v1/certificates/x"}
			doc, err := RenderPDF(rec, "en")
			if err != nil {
				t.Fatal(err)
			}
			text := pdftotext(t, doc)
			if !strings.Contains(text, "Certificate of Completion") || !strings.Contains(text, "Cyber") {
				t.Fatalf("the certificate's own text is missing: %q", text)
			}
			if c.want != "" && !strings.Contains(letters(text), letters(c.want)) {
				t.Fatalf("%q not in the PDF text %q", c.want, text)
			}
			if c.placeholder && !strings.ContainsRune(text, '\uFFFD') {
				t.Fatalf("no visible placeholder for a character no font has: %q", text)
			}
		})
	}
}

func TestDrawableKeepsOnlyCoveredCharacters(t *testing.T) {
	cov := coverages()
	for _, sc := range fallbackOrder {
		if cov[sc] == nil {
			t.Fatalf("no cmap read for the font of script %d", sc)
		}
	}
	if !cov[scriptLatin].has('A') || !cov[scriptCJK].has('明') || !cov[scriptArabic].has(0xFEE3) || cov[scriptLatin].has(0x0E01) {
		t.Fatal("coverage does not match the fonts")
	}
	for _, c := range names {
		for _, r := range visualRuns(c.name) {
			for _, ch := range r.text {
				if !cov[r.script].has(ch) && ch != ' ' {
					t.Fatalf("%q: %U drawn with the font of script %d, which lacks it", c.name, ch, r.script)
				}
			}
		}
	}
	t.Run("one emoji sequence is one placeholder", func(t *testing.T) {
		for name, want := range map[string]int{"👨‍👩‍👧": 1, "👍🏽": 1, "🇬🇭": 1, "🙂🙂": 2, "สมชาย": 5} {
			n := 0
			for _, r := range visualRuns(name) {
				n += strings.Count(r.text, "\uFFFD")
			}
			if n != want {
				t.Errorf("%q: %d placeholders, want %d", name, n, want)
			}
		}
	})
}

func TestPDFOfAnEmojiName(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	id, _ := f.issue(t, u.ID, "Emoji Names")
	if _, err := f.DB.Exec(`UPDATE certificates SET learner_name = $2 WHERE id = $1`, id, "Mariam 🙂"); err != nil {
		t.Fatal(err)
	}
	resp := f.Expect(t, get("/v1/certificates/"+id+"/pdf", u.Token, ""), http.StatusOK)
	if !bytes.HasPrefix(resp.Body, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", resp.Body[:min(20, len(resp.Body))])
	}
	if text := pdftotext(t, resp.Body); !strings.Contains(text, "Mariam \uFFFD") {
		t.Fatalf("text %q", text)
	}
}

// FuzzPDFName renders certificates for arbitrary names and course titles: the
// renderer never fails or panics, and every character it draws is in the font
// it is drawn with.
func FuzzPDFName(f *testing.F) {
	for _, c := range names {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 400 {
			name = name[:400] // names are bounded by account validation long before this
		}
		cov := coverages()
		for _, r := range visualRuns(name) {
			for _, ch := range r.text {
				if ch != ' ' && !cov[r.script].has(ch) {
					t.Fatalf("%q: %U drawn with a font that lacks it", name, ch)
				}
			}
		}
		rec := Record{ID: "x", LearnerName: name, CourseTitle: name, VerifyURL: "http://cybercampus.test/v1/certificates/x",
			IssuedAt: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC), Revoked: len(name)%2 == 0}
		if _, err := RenderPDF(rec, "en"); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
	})
}

func TestPDFHebrewName(t *testing.T) {
	doc, err := RenderPDF(Record{ID: "x", LearnerName: "דוד כהן", CourseTitle: "Cyber Hygiene", VerifyURL: "http://x/y",
		IssuedAt: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}, "en")
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftotext(t, doc); !containsWords(text, "דוד כהן") || strings.ContainsRune(text, '\uFFFD') {
		t.Fatalf("text %q", text)
	}
	runs := visualRuns("דוד כהן")
	if len(runs) != 1 || runs[0].script != scriptHebrew || runs[0].text != "ןהכ דוד" {
		t.Fatalf("runs %+v, want the Hebrew drawn right to left", runs)
	}
}
