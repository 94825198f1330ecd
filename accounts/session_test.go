package accounts_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// signUp registers a learner through the API and signs in twice: two sessions.
func signUp(t *testing.T, env *apptest.Env) (id string, sessions [2]struct{ access, refresh string }) {
	t.Helper()
	email := "acct-" + pgtest.RandomSuffix() + "@example.org"
	resp := env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/register", Body: map[string]any{
		"email": email, "password": "a long enough passphrase", "name": "Session Learner", "gender": "male",
		"birth_year": 1999, "country": "FJ", "audience": "professional", "language": "ru"}}, http.StatusCreated)
	id = resp.Map(t)["user"].(map[string]any)["id"].(string)
	for i := range sessions {
		m := env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/login",
			Body: map[string]string{"email": email, "password": "a long enough passphrase"}}, http.StatusOK).Map(t)
		sessions[i].access, sessions[i].refresh = m["access_token"].(string), m["refresh_token"].(string)
	}
	return id, sessions
}

// RevokeAll ends every session: refresh tokens stop working and every access
// token issued before is refused on the next request.
func TestRevokeAll(t *testing.T) {
	env := newEnv(t, apptest.Options{})
	id, sessions := signUp(t, env)
	store := accounts.NewStore(env.DB.DB)
	for _, s := range sessions {
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/me", Token: s.access}, http.StatusOK)
	}
	if err := store.RevokeAll(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	env.Sessions.Changed(context.Background(), id)
	for _, s := range sessions {
		env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/me", Token: s.access}, http.StatusUnauthorized)
		env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": s.refresh}}, http.StatusUnauthorized)
	}
	var version int
	env.DB.Get(&version, `SELECT session_version FROM users WHERE id = $1`, id)
	if version != 2 {
		t.Fatalf("session version %d after RevokeAll, want 2", version)
	}
	if err := store.RevokeAll(context.Background(), id); err != nil {
		t.Fatalf("RevokeAll twice: %v", err)
	}
}

// A refreshed pair belongs to the same session: logging it out ends the
// access token issued at refresh too, while the other session goes on.
func TestLogoutEndsTheRefreshedSession(t *testing.T) {
	env := newEnv(t, apptest.Options{})
	_, sessions := signUp(t, env)
	m := env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/refresh",
		Body: map[string]string{"refresh_token": sessions[0].refresh}}, http.StatusOK).Map(t)
	refreshed := m["access_token"].(string)
	env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/logout", Token: refreshed}, http.StatusNoContent)
	env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/me", Token: refreshed}, http.StatusUnauthorized)
	env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/me", Token: sessions[0].access}, http.StatusUnauthorized)
	env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/me", Token: sessions[1].access}, http.StatusOK)
	env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": m["refresh_token"].(string)}}, http.StatusUnauthorized)
}
