package certification

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestCertificatePageLanguages(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	id, _ := f.issue(t, u.ID, "Cyber hygiene")
	path := "/v1/certificates/" + id
	for _, tc := range []struct {
		name, query, acceptLanguage string
		lang, dir, heading          string
	}{
		{"English by default", "", "", "en", "ltr", "Certificate of completion"},
		{"Arabic from Accept-Language, right to left", "", "ar-EG,ar;q=0.9,en;q=0.5", "ar", "rtl", "شهادة إتمام"},
		{"Chinese from a regional preference", "", "zh-TW", "zh", "ltr", "结业证书"},
		{"French picked over a language the page lacks", "", "de-CH, fr;q=0.8", "fr", "ltr", "Certificat de réussite"},
		{"?lang= wins over Accept-Language", "?lang=ru", "es", "ru", "ltr", "Сертификат о прохождении курса"},
		{"Spanish by ?lang=", "?lang=es", "", "es", "ltr", "Certificado de finalización"},
		{"an unsupported ?lang= falls back to Accept-Language", "?lang=xx", "es", "es", "ltr", "Certificado de finalización"},
		{"a malformed Accept-Language is English", "", ";;;q=x", "en", "ltr", "Certificate of completion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(path+tc.query, "", "text/html")
			if tc.acceptLanguage != "" {
				r.Headers["Accept-Language"] = tc.acceptLanguage
			}
			resp := f.Expect(t, r, http.StatusOK)
			body := string(resp.Body)
			if !strings.Contains(body, `<html lang="`+tc.lang+`" dir="`+tc.dir+`">`) || !strings.Contains(body, "<h1>"+tc.heading+"</h1>") {
				t.Fatalf("page in the wrong language:\n%s", body)
			}
			if resp.Header.Get("Content-Language") != tc.lang || !strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
				t.Fatalf("headers %v", resp.Header)
			}
			if strings.Count(body, `hreflang=`) != 6 || !strings.Contains(body, `>العربية</a>`) || strings.Count(body, `aria-current="page"`) != 1 {
				t.Fatalf("the language switcher does not list the six languages:\n%s", body)
			}
		})
	}
}

func TestCertificatePDFLanguage(t *testing.T) {
	f := newFixture(t)
	u := f.NewUserWith(t, apptest.Profile{Name: "Amina Yusuf"})
	if _, err := f.DB.Exec(`UPDATE users SET language = 'fr' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	id, _ := f.issue(t, u.ID, "Cyber hygiene")
	pdf := "/v1/certificates/" + id + "/pdf"
	t.Run("in the learner's language", func(t *testing.T) {
		text := pdftotext(t, f.Expect(t, get(pdf, u.Token, ""), http.StatusOK).Body)
		if !strings.Contains(text, "Certificat de réussite") {
			t.Fatalf("text %q", text)
		}
	})
	t.Run("?lang= picks another", func(t *testing.T) {
		text := pdftotext(t, f.Expect(t, get(pdf+"?lang=es", u.Token, ""), http.StatusOK).Body)
		if !strings.Contains(text, "Certificado de finalización") {
			t.Fatalf("text %q", text)
		}
	})
	t.Run("an unsupported ?lang= is a 422 naming lang", func(t *testing.T) {
		body := string(f.Expect(t, get(pdf+"?lang=de", u.Token, ""), http.StatusUnprocessableEntity).Body)
		if !strings.Contains(body, `"field":"lang"`) {
			t.Fatalf("body %s", body)
		}
	})
}
