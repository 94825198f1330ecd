package certification

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// TestVerifyNeedsOurIssuerAndClock covers what only the claims can tell of a
// token we issued: a verifier under another base URL than the one the token
// was issued under, and a token not yet valid by the verifier's clock.
func TestVerifyNeedsOurIssuerAndClock(t *testing.T) {
	f := newFixture(t)
	_, token := f.issue(t, f.NewUser(t).ID, "Issuer And Clock")
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
			if r, err := c.v.Verify(ctx, token); err != nil || r.Valid || r.Reason != c.reason {
				t.Fatalf("got %+v (%v), want reason %s", r, err, c.reason)
			}
		})
	}
}

// TestVerifyWantsTheVeryTokenWeIssued: the same header with its members in
// another order and the same payload, signed by us, is well signed but not
// the token the record holds.
func TestVerifyWantsTheVeryTokenWeIssued(t *testing.T) {
	f := newFixture(t)
	_, token := f.issue(t, f.NewUser(t).ID, "Very Token")
	ctx := context.Background()
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
	if r, _ := f.mod.verifier.Verify(ctx, head+"."+payload+"."+sig); r.Valid || r.Reason != ReasonClaimsMismatch {
		t.Fatalf("got %+v, want %s (not the token we issued)", r, ReasonClaimsMismatch)
	}
}

// TestVerifyStatusListNeedsNoRecord: a status list credential is signed as
// certificates are; it verifies (valid until it expires) without a record,
// so even when the database cannot be read.
func TestVerifyStatusListNeedsNoRecord(t *testing.T) {
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
	got, err := f.mod.verifier.Verify(ctx, sl.jws)
	if err != nil || !got.Valid || got.StatusList == nil || got.Certificate != nil {
		t.Fatalf("status list: %+v, %v", got, err)
	}
	closed, err := sqlx.Open("postgres", "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	unread := NewVerifier(f.mod.keys, "http://cybercampus.test", closed, time.Now)
	if again, err := unread.Verify(ctx, sl.jws); err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("with no database: %+v (%v), want %+v", again, err, got)
	}
}
