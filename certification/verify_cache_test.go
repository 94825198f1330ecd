package certification

import (
	"net/http"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

// TestRevocationReachesEveryInstance pins the record cache's promise: the
// instance that revokes answers "revoked" at once, and every other instance
// within recordTTL.
func TestRevocationReachesEveryInstance(t *testing.T) {
	f := newFixture(t)
	admin := f.NewUser(t, "admin")
	id, token := f.issue(t, f.NewUser(t).ID, "Cached Verification")
	clock := time.Now()
	other := newFixture(t)
	other.mod.verifier = NewVerifier(other.mod.keys, "http://cybercampus.test", testDB.DB, func() time.Time { return clock })
	for name, fx := range map[string]fixture{"revoking instance": f, "other instance": other} {
		if r := fx.verifyHTTP(t, token); !r.Valid {
			t.Fatalf("%s before revocation: %+v", name, r)
		}
	}
	f.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/" + id + "/revoke", Token: admin.Token,
		Body: map[string]string{"reason": "issued in error"}}, http.StatusOK)
	if r := f.verifyHTTP(t, token); r.Valid || !r.Revoked {
		t.Fatalf("revoking instance still trusts its cache: %+v", r)
	}
	if r := other.verifyHTTP(t, token); !r.Valid {
		t.Fatalf("other instance within the cache lifetime: %+v", r)
	}
	clock = clock.Add(recordTTL + time.Second)
	if r := other.verifyHTTP(t, token); r.Valid || !r.Revoked {
		t.Fatalf("other instance after %s: %+v", recordTTL, r)
	}
}
