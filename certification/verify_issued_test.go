package certification

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/certification/certtest"
)

// TestIssuedPathAgreesWithFullPath pins what Verify's first path may do: it
// answers by itself only for the very tokens we issued (valid or revoked),
// and then exactly as the full path would; every other token of the attack
// suite goes on to the full path.
func TestIssuedPathAgreesWithFullPath(t *testing.T) {
	f := newFixture(t)
	in := attackInputs(t, f)
	ctx := context.Background()
	v := f.mod.verifier
	ours := map[string]bool{in.Good: true, in.Other: true, in.Revoked: true}
	tokens := []string{in.Good, in.Other, in.Revoked}
	for _, a := range certtest.Attacks(in) {
		tokens = append(tokens, a.Token)
	}
	for _, tok := range tokens {
		_, _, done, err := v.issued(ctx, tok)
		if err != nil || done != ours[tok] {
			t.Fatalf("issued answered %v (%v) for %.80q, want %v", done, err, tok, ours[tok])
		}
		got, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		want, err := v.full(ctx, tok, sigUnchecked)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Verify %+v, the full path %+v, for %.80q", got, want, tok)
		}
	}
	if r, _ := v.Verify(ctx, in.Good); !r.Valid {
		t.Fatalf("good token: %+v", r)
	}
	if r, _ := v.Verify(ctx, in.Revoked); r.Valid || !r.Revoked || r.Reason != ReasonRevoked {
		t.Fatalf("revoked token: %+v", r)
	}
}

// TestIssuedPathLeavesTheRestToTheFullPath covers what the first path cannot
// see without the claims: a verifier under another base URL than the one the
// token was issued under, and a token not yet valid by the verifier's clock.
func TestIssuedPathLeavesTheRestToTheFullPath(t *testing.T) {
	f := newFixture(t)
	_, token := f.issue(t, f.NewUser(t).ID, "Issued Path")
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		v      *Verifier
		reason string
	}{
		{"another base URL", NewVerifier(f.mod.keys, "http://elsewhere.test", testDB.DB, time.Now), ReasonWrongIssuer},
		{"a clock an hour behind", NewVerifier(f.mod.keys, "http://cybercampus.test", testDB.DB,
			func() time.Time { return time.Now().Add(-time.Hour) }), ReasonNotYetValid},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, done, err := c.v.issued(ctx, token); done || err != nil {
				t.Fatalf("issued answered (%v)", err)
			}
			if r, err := c.v.Verify(ctx, token); err != nil || r.Valid || r.Reason != c.reason {
				t.Fatalf("got %+v (%v), want reason %s", r, err, c.reason)
			}
		})
	}
	t.Run("a header we do not write, with our key", func(t *testing.T) {
		// the same header, its members in another order, and the same
		// payload, signed by us
		h, _ := segments(t, token)
		head := b64([]byte(`{"typ":"JWT","kid":` + string(mustJSON(t, h["kid"])) + `,"alg":"RS256"}`))
		if head == headerSegment(h["kid"].(string)) {
			t.Fatal("the reordered header encodes as ours")
		}
		key, err := f.mod.keys.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(token, ".")
		payload, _, _ := strings.Cut(rest, ".")
		sig, err := signInput(key.key, head+"."+payload)
		if err != nil {
			t.Fatal(err)
		}
		tok := head + "." + payload + "." + sig
		if _, _, done, _ := f.mod.verifier.issued(ctx, tok); done {
			t.Fatal("issued answered for a header we do not write")
		}
		if r, _ := f.mod.verifier.Verify(ctx, tok); r.Valid || r.Reason != ReasonClaimsMismatch {
			t.Fatalf("got %+v, want %s (not the token we issued)", r, ReasonClaimsMismatch)
		}
	})
}

// TestTokenLookupUsesItsIndex: the first path reads a certificate by its
// token through certificates_token_md5_idx, never by scanning certificates.
func TestTokenLookupUsesItsIndex(t *testing.T) {
	f := newFixture(t)
	_, token := f.issue(t, f.NewUser(t).ID, "Token Index")
	tx, err := f.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(`EXPLAIN `+verifiedSelect+` WHERE md5(token) = md5($1) AND token = $1`, token)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "certificates_token_md5_idx") {
		t.Fatalf("plan without the token index:\n%s", plan.String())
	}
}
