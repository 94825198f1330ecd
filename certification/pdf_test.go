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

// letters keeps the letters of s in compatibility form, so Arabic
// presentation forms compare equal to the letters they draw.
func letters(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
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
			doc, err := RenderPDF(rec)
			if err != nil {
				t.Fatal(err)
			}
			text := pdftotext(t, doc)
			if c.script == "Devanagari" { // drawn without conjunct shaping; check the glyphs are there
				if !strings.Contains(norm.NFC.String(text), "श") || !strings.Contains(text, "Cyber Hygiene") {
					t.Fatalf("text %q", text)
				}
				return
			}
			got := letters(text)
			for _, want := range []string{c.name, c.course, "CyberCampus", "14 March 2025"} {
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
	doc, err := RenderPDF(Record{ID: "x", LearnerName: "A", CourseTitle: "B", Revoked: true, VerifyURL: "http://x/y", IssuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftotext(t, doc); !strings.Contains(text, "REVOKED") {
		t.Fatalf("text %q", text)
	}
}
