package notifications_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/notifications"
)

// redisDB is this package's own Redis database.
const redisDB = 2

// newEnv is a real application serving the notifications routes.
func newEnv(tb testing.TB) *apptest.Env {
	tb.Helper()
	env := apptest.New(tb, testDB, apptest.Options{RedisDB: redisDB})
	notifications.NewHandler(notifications.NewStore(env.DB.DB)).Register(env.App, env.Auth)
	return env
}

func addNotification(tb testing.TB, userID string, minutesAgo int, read bool) string {
	tb.Helper()
	var id string
	err := testDB.Get(&id, `INSERT INTO notifications (user_id, kind, title, body, data, dedupe_key, created_at, read_at)
		VALUES ($1, 'reminder', 'Keep going', 'You are halfway.', '{"course": "x"}', $2,
			now() - make_interval(mins => $3), CASE WHEN $4 THEN now() END) RETURNING id`,
		userID, uuid.NewString(), minutesAgo, read)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

func TestNotifications(t *testing.T) {
	env := newEnv(t)
	u := env.NewUser(t)
	other := env.NewUser(t)
	oldest := addNotification(t, u.ID, 30, true)
	middle := addNotification(t, u.ID, 20, false)
	newest := addNotification(t, u.ID, 10, false)
	foreign := addNotification(t, other.ID, 5, false)

	type page struct {
		Items []struct {
			ID     string         `json:"id"`
			Kind   string         `json:"kind"`
			Data   map[string]any `json:"data"`
			ReadAt *string        `json:"read_at"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	list := func(t *testing.T, u apptest.User, query string) page {
		var p page
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/notifications" + query, Token: u.Token}, http.StatusOK).JSON(t, &p)
		return p
	}
	ids := func(p page) string {
		s := ""
		for _, it := range p.Items {
			s += it.ID + " "
		}
		return s
	}

	t.Run("own only, newest first, keyset paginated", func(t *testing.T) {
		p1 := list(t, u, "?limit=2")
		if ids(p1) != newest+" "+middle+" " || p1.NextCursor == nil || p1.Items[0].Data["course"] != "x" {
			t.Fatalf("page 1 = %+v", p1)
		}
		p2 := list(t, u, "?limit=2&cursor="+*p1.NextCursor)
		if ids(p2) != oldest+" " || p2.NextCursor != nil {
			t.Fatalf("page 2 = %+v", p2)
		}
	})
	t.Run("unread filter", func(t *testing.T) {
		if got := ids(list(t, u, "?unread=true")); got != newest+" "+middle+" " {
			t.Fatalf("unread = %s", got)
		}
	})
	t.Run("bad unread value is 400", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/notifications?unread=maybe", Token: u.Token}, http.StatusBadRequest)
	})
	t.Run("marking read is idempotent and leaves the unread list", func(t *testing.T) {
		path := "/v1/me/notifications/" + middle + "/read"
		first := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: path, Token: u.Token}, http.StatusOK).Map(t)
		again := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: path, Token: u.Token}, http.StatusOK).Map(t)
		if first["read_at"] == nil || first["read_at"] != again["read_at"] {
			t.Fatalf("read_at %v then %v", first["read_at"], again["read_at"])
		}
		if got := ids(list(t, u, "?unread=true")); got != newest+" " {
			t.Fatalf("unread = %s", got)
		}
	})
	for _, tc := range []struct {
		name, id string
	}{
		{"another user's notification is 404", foreign},
		{"an unknown notification is 404", uuid.NewString()},
		{"a non-UUID id is 404", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: http.MethodPost, Path: fmt.Sprintf("/v1/me/notifications/%s/read", tc.id), Token: u.Token}, http.StatusNotFound)
		})
	}
	t.Run("another user's notification stays unread", func(t *testing.T) {
		if p := list(t, other, ""); len(p.Items) != 1 || p.Items[0].ReadAt != nil {
			t.Fatalf("other's list = %+v", p)
		}
	})
	t.Run("without a token is 401", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/notifications"}, http.StatusUnauthorized)
	})
}
