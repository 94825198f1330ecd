package certification

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/jobs"
)

// clockFixture is a fixture whose store and verifier read a clock the test moves.
func clockFixture(t *testing.T) (fixture, *time.Time) {
	f := newFixture(t)
	clock := time.Now().Truncate(time.Second)
	now := func() time.Time { return clock }
	f.mod.store.now = now
	f.mod.verifier = NewVerifier(f.mod.keys, "http://cybercampus.test", testDB.DB, now)
	return f, &clock
}

// listOf returns the path of a certificate's status list and its number.
func listOf(t *testing.T, token string) (string, int) {
	_, p := segments(t, token)
	url := p["credentialStatus"].(map[string]any)["statusListCredential"].(string)
	var n int
	json.Unmarshal([]byte(url[strings.LastIndex(url, "/")+1:]), &n)
	return strings.TrimPrefix(url, "http://cybercampus.test"), n
}

// unsign clears a list's stored credential, which another test's clock signed.
func (f fixture) unsign(t *testing.T, list int) {
	t.Helper()
	f.mod.status.forget(list)
	if _, err := f.DB.Exec(`UPDATE status_lists SET jws = NULL, credential = NULL, signed_at = NULL, valid_until = NULL
		WHERE id = $1`, list); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) fetchList(t *testing.T, path string) string {
	t.Helper()
	return string(f.Expect(t, get(path, "", ""), http.StatusOK).Body)
}

func expiry(t *testing.T, jws string) (nbf, exp time.Time) {
	t.Helper()
	_, p := segments(t, jws)
	nbf, exp = time.Unix(int64(p["nbf"].(float64)), 0), time.Unix(int64(p["exp"].(float64)), 0)
	if p["validUntil"] != exp.UTC().Format(time.RFC3339) || p["validFrom"] != nbf.UTC().Format(time.RFC3339) {
		t.Fatalf("validFrom %v, validUntil %v do not mirror nbf %v, exp %v", p["validFrom"], p["validUntil"], nbf, exp)
	}
	return nbf, exp
}

func TestStatusListExpires(t *testing.T) {
	f, clock := clockFixture(t)
	u := f.NewUser(t)
	_, token := f.issue(t, u.ID, "Expiring Lists")
	path, list := listOf(t, token)
	f.unsign(t, list)
	first := f.fetchList(t, path)

	t.Run("a list expires at most seven days after it is signed", func(t *testing.T) {
		nbf, exp := expiry(t, first)
		if exp.Sub(nbf) > 7*24*time.Hour || !exp.After(clock.Add(6*24*time.Hour)) {
			t.Fatalf("signed %v, expires %v", nbf, exp)
		}
	})
	t.Run("the verify endpoint takes a current list", func(t *testing.T) {
		r := f.verifyHTTP(t, first)
		if !r.Valid || r.StatusList == nil || !strings.HasSuffix(r.StatusList.ID, path) || r.Certificate != nil {
			t.Fatalf("current list: %+v", r)
		}
	})
	t.Run("the endpoint serves the stored list until the job signs it again", func(t *testing.T) {
		f.mod.status.forget(list)
		*clock = clock.Add(time.Hour)
		if again := f.fetchList(t, path); again != first {
			t.Fatal("a fresh stored list was signed again on read")
		}
	})
	t.Run("an expired list is refused", func(t *testing.T) {
		*clock = clock.Add(StatusListValidity)
		r := f.verifyHTTP(t, first)
		if r.Valid || r.Reason != ReasonExpired || r.StatusList != nil {
			t.Fatalf("expired list: %+v", r)
		}
	})
	t.Run("the endpoint never serves an expired list", func(t *testing.T) {
		f.mod.status.forget(list)
		served := f.fetchList(t, path)
		_, exp := expiry(t, served)
		if served == first || !exp.After(clock.Add(statusServeWithin)) {
			t.Fatalf("served a list expiring %v at %v", exp, *clock)
		}
		if r := f.verifyHTTP(t, served); !r.Valid {
			t.Fatalf("the list served now: %+v", r)
		}
	})
	t.Run("a list without an expiry is refused", func(t *testing.T) {
		_, p := segments(t, first)
		delete(p, "exp")
		delete(p, "validUntil")
		p["nbf"] = float64(clock.Unix())
		p["validFrom"] = clock.UTC().Format(time.RFC3339)
		h, _ := segments(t, first)
		if r := f.verifyHTTP(t, f.signRaw(t)(h, p)); r.Valid || r.Reason != ReasonMissingClaims {
			t.Fatalf("list without exp: %+v", r)
		}
	})
	t.Run("a list valid for longer than seven days is refused", func(t *testing.T) {
		_, p := segments(t, first)
		until := clock.Add(30 * 24 * time.Hour)
		p["nbf"], p["validFrom"] = float64(clock.Unix()), clock.UTC().Format(time.RFC3339)
		p["exp"], p["validUntil"] = float64(until.Unix()), until.UTC().Format(time.RFC3339)
		h, _ := segments(t, first)
		if r := f.verifyHTTP(t, f.signRaw(t)(h, p)); r.Valid || r.Reason != ReasonClaimsMismatch {
			t.Fatalf("list valid for 30 days: %+v", r)
		}
	})
}

func TestStatusListJob(t *testing.T) {
	f, clock := clockFixture(t)
	u := f.NewUser(t)
	_, token := f.issue(t, u.ID, "Re-signed Lists")
	path, list := listOf(t, token)
	f.unsign(t, list)
	first := f.fetchList(t, path)
	run := func(t *testing.T) {
		t.Helper()
		if err := f.mod.ProcessStatusLists(context.Background(), asynq.NewTask(jobs.TypeStatusLists, nil)); err != nil {
			t.Fatal(err)
		}
	}
	stored := func(t *testing.T) (jws string, until time.Time) {
		t.Helper()
		if err := f.DB.QueryRow(`SELECT jws, valid_until FROM status_lists WHERE id = $1`, list).Scan(&jws, &until); err != nil {
			t.Fatal(err)
		}
		return jws, until
	}

	t.Run("the job leaves a list far from expiry alone", func(t *testing.T) {
		*clock = clock.Add(24 * time.Hour)
		run(t)
		if jws, _ := stored(t); jws != first {
			t.Fatal("a list with six days left was signed again")
		}
	})
	t.Run("the job signs a list again before it expires", func(t *testing.T) {
		*clock = clock.Add(3*24*time.Hour + time.Minute) // under four days left
		run(t)
		jws, until := stored(t)
		if jws == first || !until.After(clock.Add(6*24*time.Hour)) {
			t.Fatalf("after the job the list expires %v (now %v)", until, *clock)
		}
		f.mod.status.forget(list)
		if served := f.fetchList(t, path); served != jws {
			t.Fatal("the endpoint does not serve the list the job signed")
		}
	})
	t.Run("the job is on the schedule", func(t *testing.T) {
		p, err := jobs.Lookup("status-lists")
		if err != nil || p.Type != jobs.TypeStatusLists {
			t.Fatalf("%+v %v", p, err)
		}
		period, _ := time.ParseDuration("1h")
		if p.UniqueTTL() > period || statusResignWithin-statusServeWithin < 24*period {
			t.Fatal("the job cannot run many times between re-signing and the endpoint's own margin")
		}
	})
}

func TestRevocationQueuesTheListSigning(t *testing.T) {
	f, _ := clockFixture(t)
	u := f.NewUser(t)
	admin := f.NewUser(t, cc.RoleAdmin)
	id, token := f.issue(t, u.ID, "Revoked Lists")
	_, kept := f.issue(t, f.NewUser(t).ID, "Kept Lists")
	path, list := listOf(t, token)
	f.fetchList(t, path)
	var before int
	f.DB.Get(&before, `SELECT count(*) FROM outbox WHERE task_type = $1 AND payload->>'list_id' = $2`, jobs.TypeSignStatusList, list)
	f.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/" + id + "/revoke", Token: admin.Token,
		Body: map[string]string{"reason": "test"}}, http.StatusOK)

	var jws *string
	var queued int
	f.DB.Get(&queued, `SELECT count(*) FROM outbox WHERE task_type = $1 AND payload->>'list_id' = $2`, jobs.TypeSignStatusList, list)
	f.DB.Get(&jws, `SELECT jws FROM status_lists WHERE id = $1`, list)
	if jws != nil || queued != before+1 {
		t.Fatalf("after a revocation the stored list is %v and %d signing tasks are queued (before %d)", jws != nil, queued, before)
	}
	b, _ := json.Marshal(jobs.StatusListPayload{ListID: list})
	if err := f.mod.ProcessSignStatusList(context.Background(), asynq.NewTask(jobs.TypeSignStatusList, b)); err != nil {
		t.Fatal(err)
	}
	f.DB.Get(&jws, `SELECT jws FROM status_lists WHERE id = $1`, list)
	if jws == nil {
		t.Fatal("the signing task stored no list")
	}
	checkStatusList(t, f, token, kept)
}

// TestStoredListNeverLacksARevocation races revocations against readers that
// sign and store the list: once every revocation has committed, the stored
// list has every bit, whichever order they ran in.
func TestStoredListNeverLacksARevocation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := make([]string, 6)
	var token string
	for i := range ids {
		ids[i], token = f.issue(t, f.NewUser(t).ID, "Racing Lists")
	}
	_, list := listOf(t, token)
	admin := f.NewUser(t, cc.RoleAdmin)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f.DB.Exec(`UPDATE status_lists SET jws = NULL, credential = NULL, signed_at = NULL, valid_until = NULL WHERE id = $1`, list)
				if _, err := f.mod.store.StatusList(ctx, list, statusServeWithin); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var revokers sync.WaitGroup
	for _, id := range ids {
		revokers.Add(1)
		go func() {
			defer revokers.Done()
			if _, _, err := f.mod.store.Revoke(ctx, id, "race", admin.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	revokers.Wait()
	close(stop)
	wg.Wait()
	sl, err := f.mod.store.StatusList(ctx, list, statusServeWithin)
	if err != nil {
		t.Fatal(err)
	}
	bits, err := decodeBitstring(sl.credential.CredentialSubject.EncodedList)
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	if err := f.DB.Select(&idx, `SELECT status_index FROM certificates WHERE id = ANY($1)`, pq.StringArray(ids)); err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		if !bitSet(bits, i) {
			t.Fatalf("the stored list lacks the revoked bit %d", i)
		}
	}
}
