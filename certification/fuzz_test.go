package certification

import (
	"context"
	"slices"
	"testing"

	"github.com/cybercampus/cybercampus/certification/certtest"
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
	in := attackInputs(f, fx)
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
