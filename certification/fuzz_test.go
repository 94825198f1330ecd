package certification

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/certification/certtest"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// reasons are every reason the verifier may give.
var reasons = []string{ReasonMalformed, ReasonAlgorithm, ReasonHeader, ReasonUnknownKey, ReasonSignature, ReasonExpired,
	ReasonNotYetValid, ReasonMissingClaims, ReasonClaimsMismatch, ReasonWrongIssuer, ReasonUnknownCertificate, ReasonRevoked}

// FuzzVerify feeds hostile tokens to the certificate verifier behind
// POST /v1/certificates/verify, seeded with every attack of the certtest
// table. The verifier never fails on input (only a failing database is an
// error) and never calls valid a token other than the ones it issued: the
// fuzzed token itself, and the issued token with one byte changed at a fuzzed
// position, are both refused with a known reason.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	in := fuzzInputs(f, fx)
	for _, a := range certtest.Attacks(in) {
		if len(a.Token) <= MaxTokenBytes {
			f.Add(a.Token, uint16(0), byte('A'))
		}
	}
	f.Add(in.Good, uint16(len(in.Good)-1), byte('B'))
	f.Add(in.Good, uint16(10), byte('.'))
	issued := map[string]bool{in.Good: true, in.Other: true}
	v := fx.mod.verifier
	check := func(t *testing.T, token string) {
		res, err := v.Verify(context.Background(), token)
		if err != nil {
			t.Fatalf("verify failed on input (a 500): %v", err)
		}
		if issued[token] {
			if !res.Valid || res.Certificate == nil {
				t.Fatalf("an issued certificate is refused: %+v", res)
			}
			return
		}
		if res.Valid || !slices.Contains(reasons, res.Reason) {
			t.Fatalf("token %.120q: valid=%v reason=%q", token, res.Valid, res.Reason)
		}
		if res.Certificate != nil && !res.Revoked {
			t.Fatalf("certificate shown for a refused token: %+v", res)
		}
	}
	f.Fuzz(func(t *testing.T, token string, pos uint16, b byte) {
		check(t, token)
		mutated := []byte(in.Good)
		i := int(pos) % len(mutated)
		if mutated[i] != b {
			mutated[i] = b
			check(t, string(mutated))
		}
	})
}

// fuzzInputs issues the certificates the attack table is built from, as
// attackInputs does for the attack test.
func fuzzInputs(tb testing.TB, f fixture) certtest.Inputs {
	tb.Helper()
	u := f.NewUser(tb)
	_, good := f.issue(tb, u.ID, "Fuzzed Course")
	_, other := f.issue(tb, u.ID, "Other Fuzzed Course")
	revokedID, revoked := f.issue(tb, u.ID, "Revoked Fuzzed Course")
	admin := f.NewUser(tb, cc.RoleAdmin)
	f.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/" + revokedID + "/revoke", Token: admin.Token,
		Body: map[string]string{"reason": "issued in error"}}, http.StatusOK)
	h, _ := segments(tb, good)
	kid := h["kid"].(string)
	resp := f.Expect(tb, apptest.Request{Method: http.MethodGet, Path: strings.TrimPrefix(kid, "http://cybercampus.test")}, http.StatusOK)
	pub, ok := f.mod.keys.PublicKey(context.Background(), kid)
	if !ok {
		tb.Fatal("no public key for the good token")
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return certtest.Inputs{Good: good, Other: other, Revoked: revoked, Kid: kid, PublicJWK: resp.Body,
		PublicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), AccessToken: u.Token, Sign: f.signRaw(tb)}
}
