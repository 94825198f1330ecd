package certification

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestPublicName(t *testing.T) {
	for in, want := range map[string]string{
		"Amina Wanjiru Otieno": "Amina O.",
		"Zoë Ñúñez":            "Zoë Ñ.",
		"Mononym":              "Mononym",
		"  Ana   Lopez ":       "Ana L.",
	} {
		if got := PublicName(in); got != want {
			t.Errorf("PublicName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A pupil's certificate shows the first name and initial wherever anyone can
// see it (the verify record, page and token), and the full name on the PDF.
func TestMinorsCertificateShowsFirstNameAndInitial(t *testing.T) {
	f := newFixture(t)
	var pupilID string
	const q = `INSERT INTO users (username, password_hash, name, roles, gender, age_band, country, audience, managed)
		VALUES ($1, 'x', 'Amina Wanjiru Otieno', '{learner}', 'female', 'under_15', 'KE', 'youth', true) RETURNING id`
	if err := f.DB.Get(&pupilID, q, fmt.Sprintf("brave-otter-%04d", rand.IntN(10000))); err != nil {
		t.Fatal(err)
	}
	admin := f.NewUser(t, "admin")
	id, token := f.issue(t, pupilID, "Safe online")

	rec := f.Expect(t, get("/v1/certificates/"+id, "", "application/json"), http.StatusOK).Map(t)
	if rec["learner_name"] != "Amina O." {
		t.Fatalf("public record names %q", rec["learner_name"])
	}
	page := string(f.Expect(t, get("/v1/certificates/"+id, "", "text/html"), http.StatusOK).Body)
	if !strings.Contains(page, "Amina O.") || strings.Contains(page, "Otieno") {
		t.Fatal("the verify page shows more than the first name and initial")
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if strings.Contains(string(payload), "Otieno") || !strings.Contains(string(payload), "Amina O.") {
		t.Fatalf("the signed credential carries %s", payload)
	}
	var v VerifyResult
	f.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/verify", Body: map[string]any{"token": token}},
		http.StatusOK).JSON(t, &v)
	if !v.Valid || v.Certificate.LearnerName != "Amina O." {
		t.Fatalf("verify = %+v", v)
	}
	pdf := f.Expect(t, get("/v1/certificates/"+id+"/pdf", admin.Token, ""), http.StatusOK).Body
	if text := pdftotext(t, pdf); !strings.Contains(text, "Amina Wanjiru Otieno") {
		t.Fatalf("the PDF lacks the full name: %q", text)
	}
}
