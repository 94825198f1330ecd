package certification

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	cc "github.com/cybercampus/cybercampus"
)

func TestPDFAccess(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	other := f.NewUser(t)
	trainer := f.NewUser(t, cc.RoleTrainer)
	admin := f.NewUser(t, cc.RoleAdmin)
	id, _ := f.issue(t, u.ID, "Printable")
	path := "/v1/certificates/" + id + "/pdf"
	for _, c := range []struct {
		name   string
		token  string
		status int
	}{
		{"the learner", u.Token, http.StatusOK},
		{"an admin", admin.Token, http.StatusOK},
		{"another learner gets 404", other.Token, http.StatusNotFound},
		{"a trainer gets 404", trainer.Token, http.StatusNotFound},
		{"anonymous gets 401", "", http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := f.Expect(t, get(path, c.token, ""), c.status)
			if c.status == http.StatusOK && (resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(resp.Body, []byte("%PDF-"))) {
				t.Fatalf("not a PDF: %s %q", resp.Header.Get("Content-Type"), resp.Body[:min(20, len(resp.Body))])
			}
		})
	}
}

// pdftotext returns the text of a PDF. Without pdftotext (poppler-utils,
// which scripts/test-tools.sh installs) the test fails, unless SKIP_PDF_TESTS
// says to skip it.
func pdftotext(t *testing.T, doc []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil && os.Getenv("SKIP_PDF_TESTS") != "" {
		t.Skip("pdftotext (poppler-utils) is not installed and SKIP_PDF_TESTS is set")
	}
	if err != nil {
		t.Fatal("pdftotext is not installed: run scripts/test-tools.sh (or apt-get install poppler-utils, or set SKIP_PDF_TESTS=1)")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "c.pdf")
	os.WriteFile(in, doc, 0o600)
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// letters keeps the letters and digits of s in compatibility form, so Arabic
// presentation forms compare equal to the letters they draw; digits count, so
// a wrong date or number does not pass for the right one.
func letters(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func TestPDFRendersEveryScript(t *testing.T) {
	for _, c := range []struct {
		script, name, course string
	}{
		{"Latin", "Zoë Ñúñez-Łukasiewicz", "Cyber Hygiene"},
		{"Cyrillic", "Анна Кузнецова", "Основы кибербезопасности"},
		{"Greek", "Ελένη Παπαδοπούλου", "Cyber Hygiene"},
		{"Arabic", "فاطمة الزهراء", "أساسيات الأمن السيبراني"},
		{"Chinese", "王小明", "网络安全基础"},
		{"Devanagari", "प्रिया शर्मा", "Cyber Hygiene"},
		{"mixed Arabic and Latin", "محمد Ali", "Cyber Hygiene"},
	} {
		t.Run(c.script, func(t *testing.T) {
			rec := Record{ID: "6f1c1c52-4b8e-4d3e-9a34-5f0a2b7c9d10", LearnerName: c.name, CourseTitle: c.course,
				IssuedAt: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC), Issuer: IssuerName,
				VerifyURL: "http://cybercampus.test/v1/certificates/6f1c1c52-4b8e-4d3e-9a34-5f0a2b7c9d10"}
			doc, err := RenderPDF(rec, "en")
			if err != nil {
				t.Fatal(err)
			}
			text := pdftotext(t, doc)
			// Dates, URLs and ids are Latin whatever the name's script: they
			// must appear exactly, every digit in place.
			for _, want := range []string{"Issued on 14 March 2025", rec.VerifyURL, "Certificate ID: " + rec.ID} {
				if !strings.Contains(text, want) {
					t.Errorf("%q not in the PDF text %q", want, text)
				}
			}
			if c.script == "Devanagari" { // drawn without conjunct shaping; check the glyphs are there
				if !strings.Contains(norm.NFC.String(text), "श") || !strings.Contains(text, "Cyber Hygiene") {
					t.Fatalf("text %q", text)
				}
				return
			}
			got := letters(text)
			for _, want := range []string{c.name, c.course, "CyberCampus"} {
				w := letters(want)
				if w == "" {
					continue
				}
				if !strings.Contains(got, w) && !strings.Contains(got, reverse(w)) && !containsWords(text, want) {
					t.Errorf("%q not in the PDF text %q", want, text)
				}
			}
		})
	}
}

// containsWords accepts text extractors that order right-to-left words in
// either direction: every word of want must appear.
func containsWords(text, want string) bool {
	got := letters(text)
	for _, w := range strings.Fields(want) {
		l := letters(w)
		if !strings.Contains(got, l) && !strings.Contains(got, reverse(l)) {
			return false
		}
	}
	return true
}

func TestPDFShowsRevocation(t *testing.T) {
	doc, err := RenderPDF(Record{ID: "x", LearnerName: "A", CourseTitle: "B", Revoked: true, VerifyURL: "http://x/y", IssuedAt: time.Now()}, "en")
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftotext(t, doc); !strings.Contains(text, "REVOKED") {
		t.Fatalf("text %q", text)
	}
}

func TestPDFInEachLanguage(t *testing.T) {
	rec := Record{ID: "6f1c1c52-4b8e-4d3e-9a34-5f0a2b7c9d10", LearnerName: "Amina Yusuf", CourseTitle: "Cyber Hygiene",
		IssuedAt: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC), Issuer: IssuerName, Revoked: true,
		VerifyURL: "http://cybercampus.test/v1/certificates/6f1c1c52-4b8e-4d3e-9a34-5f0a2b7c9d10"}
	for _, c := range []struct{ lang, date string }{
		{"en", "14 March 2025"}, {"fr", "14 mars 2025"}, {"es", "14 de marzo de 2025"},
		{"ru", "14 марта 2025"}, {"zh", "2025年3月14日"}, {"ar", "14 مارس 2025"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			doc, err := RenderPDF(rec, c.lang)
			if err != nil {
				t.Fatal(err)
			}
			got := pdftotext(t, doc)
			for _, want := range []string{text(c.lang, "pdf.heading"), text(c.lang, "pdf.completed"), text(c.lang, "pdf.revoked"), c.date, "Amina Yusuf"} {
				if !containsWords(got, want) {
					t.Errorf("%q not in the PDF text %q", want, got)
				}
			}
		})
	}
}
