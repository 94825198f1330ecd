package certification

import (
	"context"
	"hash/maphash"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

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
		if _, _, done := v.issued(ctx, tok); done != ours[tok] {
			t.Fatalf("issued answered %v for %.80q, want %v", done, tok, ours[tok])
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
			if _, _, done := c.v.issued(ctx, token); done {
				t.Fatal("issued answered")
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
		if _, _, done := f.mod.verifier.issued(ctx, tok); done {
			t.Fatal("issued answered for a header we do not write")
		}
		if r, _ := f.mod.verifier.Verify(ctx, tok); r.Valid || r.Reason != ReasonClaimsMismatch {
			t.Fatalf("got %+v, want %s (not the token we issued)", r, ReasonClaimsMismatch)
		}
	})
}

// TestTokenLookupUsesItsIndex: the first path's query can read a certificate
// by its token through certificates_token_md5_idx (a 3.4 kB token is too wide
// for an index of its own).
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
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "certificates_token_md5_idx") {
		t.Fatalf("plan without the token index:\n%s", plan.String())
	}
}

// TestIssuedPathWithOtherTokensWeSign: a status list credential is signed as
// certificates are, so it passes the first path's header and signature
// checks. The first path reads the database once for it, then remembers for
// recordTTL that no certificate holds it; and when the database cannot be
// read, the token goes to the full path, which answers for the list (valid
// until it expires) without a record, instead of failing.
func TestIssuedPathWithOtherTokensWeSign(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.issue(t, f.NewUser(t).ID, "Status List Course")
	var list int
	if err := f.DB.Get(&list, `SELECT status_list_id FROM certificates WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	sl, err := f.mod.statusList(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	v := f.mod.verifier
	want, err := v.full(ctx, sl.jws, sigUnchecked)
	if err != nil || !want.Valid || want.StatusList == nil || want.Certificate != nil {
		t.Fatalf("the full path: %+v, %v", want, err)
	}
	if got, err := v.Verify(ctx, sl.jws); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Verify %+v (%v), the full path %+v", got, err, want)
	}
	v.mu.Lock()
	known := v.byToken[maphash.String(v.seed, sl.jws)]
	v.mu.Unlock()
	if known.id != "" || !known.expires.After(time.Now()) {
		t.Fatalf("not remembered as no certificate's token: %+v", known)
	}

	closed, err := sqlx.Open("postgres", "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	unread := NewVerifier(f.mod.keys, "http://cybercampus.test", closed, time.Now)
	if got, err := unread.Verify(ctx, sl.jws); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("with no database: %+v (%v), want %+v", got, err, want)
	}
}
