package auth

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

var sessionDB *pgtest.DB

// TestMain gives the package's tests one migrated database.
func TestMain(m *testing.M) { pgtest.Main(m, "auth", &sessionDB) }

// newSessionUser inserts a learner with one open session and returns the
// principal an access token of that session carries (claiming admin, which
// the token may say but the database does not).
func newSessionUser(t *testing.T) cc.Principal {
	t.Helper()
	var id string
	err := sessionDB.Get(&id, `INSERT INTO users (email, password_hash, name, gender, birth_year, country, audience)
		VALUES ($1, 'x', 'Session Learner', 'female', 2000, 'KE', 'youth') RETURNING id`, "s-"+pgtest.RandomSuffix()+"@example.org")
	if err != nil {
		t.Fatal(err)
	}
	sid := uuid.NewString()
	sessionDB.MustExec(`INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')`,
		[]byte(uuid.NewString()), sid, id)
	return cc.Principal{UserID: id, Roles: []string{"admin"}, SessionID: sid, SessionVersion: 1}
}

func newTestSessions(t *testing.T) *Sessions {
	rdb := redis.NewClient(&redis.Options{Addr: pgtest.RedisAddr()})
	t.Cleanup(func() { rdb.Close() })
	return NewSessions(sessionDB.DB, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func mustCheck(t *testing.T, s *Sessions, p cc.Principal) (cc.Principal, bool) {
	t.Helper()
	got, ok, err := s.Check(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return got, ok
}

func TestSessionCheckReadsRolesAndEndsSessions(t *testing.T) {
	s := newTestSessions(t)
	p := newSessionUser(t)
	got, ok := mustCheck(t, s, p)
	if !ok || len(got.Roles) != 1 || got.Roles[0] != "learner" {
		t.Fatalf("check %v %+v: the token's roles were trusted", ok, got)
	}
	for name, q := range map[string]cc.Principal{
		"older session version": {UserID: p.UserID, SessionID: p.SessionID, SessionVersion: 0},
		"another family":        {UserID: p.UserID, SessionID: uuid.NewString(), SessionVersion: 1},
		"unknown user":          {UserID: uuid.NewString(), SessionID: p.SessionID, SessionVersion: 1},
	} {
		if _, ok := mustCheck(t, s, q); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	sessionDB.MustExec(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1`, p.SessionID)
	s.Changed(context.Background(), p.UserID)
	if _, ok := mustCheck(t, s, p); ok {
		t.Fatal("a revoked session is still open")
	}
	noSession := cc.Principal{UserID: p.UserID, SessionVersion: 1}
	if _, ok := mustCheck(t, s, noSession); !ok {
		t.Fatal("a token made without a session is refused while its version is current")
	}
	sessionDB.MustExec(`UPDATE users SET session_version = 2 WHERE id = $1`, p.UserID)
	s.Changed(context.Background(), p.UserID)
	if _, ok := mustCheck(t, s, noSession); ok {
		t.Fatal("a raised session version does not end older tokens")
	}
}

// An erased account is closed whether or not its token names a session, even
// at the session version its tokens carry (erasure also raises the version).
func TestSessionCheckRefusesErasedAccounts(t *testing.T) {
	s := newTestSessions(t)
	p := newSessionUser(t)
	noSession := cc.Principal{UserID: p.UserID, SessionVersion: 1}
	for name, q := range map[string]cc.Principal{"with a session": p, "without a session": noSession} {
		if _, ok := mustCheck(t, s, q); !ok {
			t.Fatalf("%s: refused before the erasure", name)
		}
	}
	sessionDB.MustExec(`UPDATE users SET email = NULL, name = '', password_hash = '', gender = NULL, birth_year = NULL,
		country = NULL, audience = NULL, organization = '', erased_at = now() WHERE id = $1`, p.UserID)
	s.Changed(context.Background(), p.UserID)
	for name, q := range map[string]cc.Principal{"with a session": p, "without a session": noSession} {
		if _, ok := mustCheck(t, s, q); ok {
			t.Errorf("%s: an erased account's token is accepted", name)
		}
	}
}

// A change on one instance reaches another instance's cache through Redis;
// without a message, the cache is trusted only for its TTL.
func TestSessionChangeReachesOtherInstances(t *testing.T) {
	a, b := newTestSessions(t), newTestSessions(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.Listen(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	p := newSessionUser(t)
	mustCheck(t, a, p)
	mustCheck(t, b, p)
	sessionDB.MustExec(`UPDATE users SET roles = '{learner,trainer}' WHERE id = $1`, p.UserID)
	deadline := time.Now().Add(3 * time.Second)
	for {
		a.Changed(ctx, p.UserID) // repeated until b has subscribed and heard it
		if got, _ := mustCheck(t, b, p); len(got.Roles) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other instance kept the old roles")
		}
		time.Sleep(20 * time.Millisecond)
	}

	now := time.Now()
	b.now = func() time.Time { return now }
	mustCheck(t, b, p)
	sessionDB.MustExec(`UPDATE users SET roles = '{learner}' WHERE id = $1`, p.UserID) // no Changed: a lost message
	if got, _ := mustCheck(t, b, p); len(got.Roles) != 2 {
		t.Fatal("cache not used within its TTL")
	}
	now = now.Add(DefaultSessionCacheTTL)
	if got, _ := mustCheck(t, b, p); len(got.Roles) != 1 {
		t.Fatalf("cache trusted past its TTL: %v", got.Roles)
	}
}

// A state read while a change is being announced is not cached: the next
// request reads the database again instead of trusting what came before.
func TestSessionStateReadDuringAChangeIsNotKept(t *testing.T) {
	s := newTestSessions(t)
	p := newSessionUser(t)
	_, epoch, _ := s.cached(p.UserID, p.SessionID)
	stale, err := s.load(context.Background(), p.UserID, p.SessionID) // read before the change commits
	if err != nil {
		t.Fatal(err)
	}
	sessionDB.MustExec(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1`, p.SessionID)
	s.Changed(context.Background(), p.UserID)
	s.store(p.UserID, p.SessionID, stale, epoch) // the in-flight request finishes
	if _, ok := mustCheck(t, s, p); ok {
		t.Fatal("the state from before the logout was put back in the cache")
	}
}

// A cached state is trusted for its whole TTL, even across a new generation
// of the cache, and a user not seen for two generations is no longer held:
// the cache's memory follows the last seconds' traffic.
func TestSessionCacheHoldsRecentUsersOnly(t *testing.T) {
	s := newTestSessions(t)
	start := time.Now()
	now := start
	s.now = func() time.Time { return now }
	ttl := DefaultSessionCacheTTL
	early, late, turner := newSessionUser(t), newSessionUser(t), newSessionUser(t)
	mustCheck(t, s, early)
	now = start.Add(ttl * 3 / 4)
	mustCheck(t, s, late)
	sessionDB.MustExec(`UPDATE users SET roles = '{learner,trainer}' WHERE id = $1`, late.UserID) // no Changed: a lost message

	now = start.Add(ttl + time.Millisecond)
	mustCheck(t, s, turner) // the first state stored a TTL after the first: a new generation
	if got, _ := mustCheck(t, s, late); len(got.Roles) != 1 {
		t.Fatalf("a state within its TTL was dropped by the new generation: roles %v", got.Roles)
	}

	now = start.Add(2*ttl + 2*time.Millisecond)
	mustCheck(t, s, turner) // another generation
	s.mu.RLock()
	defer s.mu.RUnlock()
	for name, p := range map[string]cc.Principal{"early": early, "late": late} {
		if _, held := s.cur[p.UserID]; held {
			t.Errorf("%s user still in the current generation", name)
		}
		if _, held := s.old[p.UserID]; held {
			t.Errorf("%s user not seen for two generations still held", name)
		}
	}
	if _, held := s.cur[turner.UserID]; !held {
		t.Error("the user just seen is not cached")
	}
}
