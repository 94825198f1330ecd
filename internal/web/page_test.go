package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

func TestCursorPaging(t *testing.T) {
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	good := EncodeCursor(Cursor{At: at, ID: "5b0c3a52-4a6d-4d0e-9b5e-0c6f1e2a3b4c"})
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	app.Get("/", func(c *fiber.Ctx) error {
		p, after, err := CursorPaging(c)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"limit": p.Limit, "after": after})
	})
	for name, tc := range map[string]struct {
		query  string
		status int
		limit  int
		after  *Cursor
	}{
		"first page has no position":        {"", 200, 50, nil},
		"a cursor this server made":         {"?limit=2&cursor=" + good, 200, 2, &Cursor{At: at, ID: "5b0c3a52-4a6d-4d0e-9b5e-0c6f1e2a3b4c"}},
		"an empty position is refused":      {"?cursor=e30", 400, 0, nil},
		"a position without a UUID":         {"?cursor=" + EncodeCursor(Cursor{At: at, ID: "x"}), 400, 0, nil},
		"an old certificates-shaped cursor": {"?cursor=" + EncodeCursor(map[string]any{"t": at, "id": "5b0c3a52-4a6d-4d0e-9b5e-0c6f1e2a3b4c"}), 400, 0, nil},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := app.Test(httptest.NewRequest("GET", "/"+tc.query, nil))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				return
			}
			var got struct {
				Limit int     `json:"limit"`
				After *Cursor `json:"after"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Limit != tc.limit || (got.After == nil) != (tc.after == nil) ||
				(got.After != nil && (!got.After.At.Equal(tc.after.At) || got.After.ID != tc.after.ID)) {
				t.Fatalf("got limit %d after %+v, want %d %+v", got.Limit, got.After, tc.limit, tc.after)
			}
		})
	}
}

func TestNewPageDecidesMoreFromTheExtraRow(t *testing.T) {
	cursorOf := func(n int) any { return map[string]int{"n": n} }
	for name, tc := range map[string]struct {
		rows []int
		keep int
		more bool
	}{
		"limit+1 rows: a next page":         {[]int{1, 2, 3}, 2, true},
		"exactly limit rows: the last page": {[]int{1, 2}, 2, false},
		"no rows: an empty list, not null":  {nil, 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			p := NewPage(tc.rows, 2, cursorOf)
			if len(p.Items) != tc.keep || p.Items == nil || (p.NextCursor != nil) != tc.more {
				t.Fatalf("page %+v", p)
			}
			if tc.more && *p.NextCursor != EncodeCursor(cursorOf(tc.rows[1])) {
				t.Fatalf("next cursor %q is not the last kept row's", *p.NextCursor)
			}
		})
	}
}
