package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// sessionsChannel is the Redis channel on which instances tell each other
// that a user's session state changed.
const sessionsChannel = "cybercampus:sessions"

// Sessions decides, on every authenticated request, whether the access
// token's session is still open, and gives the caller's roles as PostgreSQL
// holds them now (a token's roles are never trusted: a demoted admin's token
// must not act as admin). The state lives in PostgreSQL (users.roles,
// users.session_version, the refresh token family of the session) and is
// cached for a short while; whoever changes it calls Changed, which drops the
// cached state here and, through Redis, on every other instance.
type Sessions struct {
	db     *sqlx.DB
	rdb    redis.UniversalClient
	logger *slog.Logger
	ttl    time.Duration
	now    func() time.Time
	// The per-request lookups, prepared once: nearly every request of a
	// learner idle for longer than ttl runs one of them.
	sessionStmt, userStmt postgres.Prepared

	mu sync.RWMutex
	// The cached states in two generations: a state is stored in cur, and
	// the first store at least ttl after the last turn makes cur old and
	// drops the old one. A state is kept until it has expired (at least
	// ttl), and the cache holds the users seen in the last TTLs only, not
	// everyone seen since the process started.
	cur, old map[string][]cachedSession // user id → that user's sessions
	rotated  time.Time
	// epoch counts forgets. A state read from the database is cached only if
	// no forget happened while it was read: otherwise a request in flight
	// during a change could put the state from before it back.
	epoch uint64
}

// cachedSession is the state of one session of a user; a user has a few
// (one per device), so a slice costs less than a map per user.
type cachedSession struct {
	id    string
	state sessionState
}

type sessionState struct {
	roles   []string
	version int
	open    bool // the user exists, is not erased, and the session's family is not revoked
	expires time.Time
}

// DefaultSessionCacheTTL bounds how long a cached session state is trusted
// when an invalidation message from another instance was lost (Redis down or
// the subscription reconnecting); messages normally clear it at once.
const DefaultSessionCacheTTL = 5 * time.Second

// NewSessions returns the session checker over db, invalidated across
// instances through rdb.
func NewSessions(db *sqlx.DB, rdb redis.UniversalClient, logger *slog.Logger) *Sessions {
	return &Sessions{db: db, rdb: rdb, logger: logger, ttl: DefaultSessionCacheTTL, now: time.Now,
		sessionStmt: postgres.Prepared{Query: loadSession}, userStmt: postgres.Prepared{Query: loadUser},
		cur: map[string][]cachedSession{}, old: map[string][]cachedSession{}}
}

// Check returns p with its roles as they are now, and ok false when the
// session has ended since the token was issued: a logout, logout-all,
// password change or reset, role change or erasure.
func (s *Sessions) Check(ctx context.Context, p cc.Principal) (current cc.Principal, ok bool, err error) {
	st, epoch, hit := s.cached(p.UserID, p.SessionID)
	if !hit {
		if st, err = s.load(ctx, p.UserID, p.SessionID); err != nil {
			return cc.Principal{}, false, fmt.Errorf("session state: %w", err)
		}
		s.store(p.UserID, p.SessionID, st, epoch)
	}
	if !st.open || st.version != p.SessionVersion {
		return cc.Principal{}, false, nil
	}
	p.Roles = st.roles
	return p, true, nil
}

func (s *Sessions) cached(userID, sessionID string) (st sessionState, epoch uint64, ok bool) {
	s.mu.RLock()
	st, ok = find(s.cur[userID], sessionID)
	if !ok {
		st, ok = find(s.old[userID], sessionID)
	}
	epoch = s.epoch
	s.mu.RUnlock()
	return st, epoch, ok && s.now().Before(st.expires)
}

func find(sessions []cachedSession, id string) (sessionState, bool) {
	for _, c := range sessions {
		if c.id == id {
			return c.state, true
		}
	}
	return sessionState{}, false
}

// maxCachedUsers bounds a generation; past it, a new one starts early, which
// costs one query per user.
const maxCachedUsers = 100_000

// maxCachedSessions bounds the sessions kept for one user (one per device);
// past it, the oldest is dropped.
const maxCachedSessions = 8

func (s *Sessions) store(userID, sessionID string, st sessionState, epoch uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != epoch {
		return
	}
	if now := s.now(); now.Sub(s.rotated) >= s.ttl || len(s.cur) >= maxCachedUsers {
		s.old, s.cur, s.rotated = s.cur, map[string][]cachedSession{}, now
	}
	sessions := s.cur[userID]
	for i := range sessions {
		if sessions[i].id == sessionID {
			sessions[i].state = st
			return
		}
	}
	if len(sessions) >= maxCachedSessions {
		sessions = sessions[1:]
	}
	s.cur[userID] = append(sessions, cachedSession{id: sessionID, state: st})
}

// A session is its refresh token family: open while one of its tokens is
// not revoked (rotation marks the old token rotated, not revoked; logout and
// a detected reuse revoke the whole family). refresh_tokens_family_idx
// serves the lookup. Tokens made without a session (sid empty) only check
// the user and version (loadUser). Two statements rather than one that tests
// whether $2 is empty: PostgreSQL keeps the plan of a prepared statement only when that
// plan costs about as much as one made for the given values, which such a
// test defeats, and it then plans the statement again on every request.
const (
	loadSession = `SELECT u.roles, u.session_version, u.erased_at IS NULL AND EXISTS (SELECT 1 FROM refresh_tokens r
		WHERE r.family_id = $2 AND r.user_id = u.id AND r.revoked_at IS NULL) AS open
	FROM users u WHERE u.id = $1`
	loadUser = `SELECT roles, session_version, erased_at IS NULL AS open FROM users WHERE id = $1`
)

func (s *Sessions) load(ctx context.Context, userID, sessionID string) (sessionState, error) {
	var row struct {
		Roles   pq.StringArray `db:"roles"`
		Version int            `db:"session_version"`
		Open    bool           `db:"open"`
	}
	prepared, args := &s.sessionStmt, []any{userID, sessionID}
	if sessionID == "" {
		prepared, args = &s.userStmt, []any{userID}
	}
	stmt, err := prepared.Stmt(ctx, s.db)
	if err != nil {
		return sessionState{}, err
	}
	err = stmt.GetContext(ctx, &row, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return sessionState{expires: s.now().Add(s.ttl)}, nil
	} else if err != nil {
		return sessionState{}, err
	}
	return sessionState{roles: row.Roles, version: row.Version, open: row.Open, expires: s.now().Add(s.ttl)}, nil
}

// Changed forgets the cached state of userID here and on every other
// instance. Call it after the change is committed.
func (s *Sessions) Changed(ctx context.Context, userID string) {
	s.forget(userID)
	if err := s.rdb.Publish(ctx, sessionsChannel, userID).Err(); err != nil {
		s.logger.Warn("session change not published; other instances keep their cached state until it expires",
			"error", err.Error())
	}
}

func (s *Sessions) forget(userID string) {
	s.mu.Lock()
	delete(s.cur, userID)
	delete(s.old, userID)
	s.epoch++
	s.mu.Unlock()
}

func (s *Sessions) forgetAll() {
	s.mu.Lock()
	s.cur, s.old = map[string][]cachedSession{}, map[string][]cachedSession{}
	s.epoch++
	s.mu.Unlock()
}

// Listen applies other instances' changes until ctx ends. Whenever the
// subscription is (re)established or fails, messages may have been missed,
// so the whole cache is dropped.
func (s *Sessions) Listen(ctx context.Context) {
	ps := s.rdb.Subscribe(ctx, sessionsChannel)
	stop := context.AfterFunc(ctx, func() { ps.Close() }) // a blocked Receive does not watch ctx
	defer stop()
	defer ps.Close()
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		switch m := msg.(type) {
		case *redis.Message:
			s.forget(m.Payload)
		case *redis.Subscription:
			s.forgetAll()
		}
		if err != nil {
			s.forgetAll()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}
