package web

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
)

// Page is one page of a keyset-paginated list.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// PageParams are the validated ?limit= and ?cursor= of a list request.
type PageParams struct {
	Limit  int
	Cursor string
}

// Paging reads ?limit (1..200, default 50) and ?cursor, decoding the cursor into
// into (when a cursor is present). A bad value is a 400.
func Paging(c *fiber.Ctx, into any) (PageParams, error) {
	p := PageParams{Limit: 50, Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return p, cc.FieldErr(cc.EBADREQUEST, "limit must be a whole number from 1 to 200.", "limit", "must be from 1 to 200")
		}
		p.Limit = n
	}
	if p.Cursor != "" && into != nil {
		if err := DecodeCursor(p.Cursor, into); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Cursor is the one position type of the lists ordered by a time and then an
// id (enrollments, cohorts, invitations, children, notifications,
// certificates, surveys): the row the previous page ended on. Lists ordered
// by something else (the catalogue by slug and rank, quiz attempts by number)
// keep a position of their own shape.
type Cursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Valid reports whether the cursor names a row: a time and a UUID.
func (k *Cursor) Valid() bool { return !k.At.IsZero() && cc.IsUUID(k.ID) }

// CursorPaging reads ?limit and ?cursor of a list ordered by time and id, as
// Paging does; the cursor is nil on the first page.
func CursorPaging(c *fiber.Ctx) (PageParams, *Cursor, error) {
	var k Cursor
	p, err := Paging(c, &k)
	if err != nil || p.Cursor == "" {
		return p, nil, err
	}
	return p, &k, nil
}

// NewestFirst returns the position a newest-first page starts below: the
// cursor's, or one above every row on the first page (k nil).
func NewestFirst(k *Cursor) (time.Time, string) {
	if k == nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "ffffffff-ffff-ffff-ffff-ffffffffffff"
	}
	return k.At, k.ID
}

// EncodeCursor makes an opaque cursor from the keyset position v.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Position is a keyset cursor that can tell whether it names a place in its
// list: a cursor that decodes but is not a position (`e30`, the base64 of
// `{}`, or an id that is not a UUID) must never reach a query.
type Position interface {
	Valid() bool
}

// DecodeCursor reads a cursor made by EncodeCursor; anything else, including
// JSON that decodes into a Position that is not Valid, is a 400 naming cursor.
func DecodeCursor(s string, into any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 || json.Unmarshal(b, into) != nil {
		return ErrBadCursor
	}
	if p, ok := into.(Position); ok && !p.Valid() {
		return ErrBadCursor
	}
	return nil
}

// ErrBadCursor is the 400 problem for a cursor this server did not issue.
var ErrBadCursor = cc.FieldErr(cc.EBADREQUEST, "The cursor is not valid.", "cursor", "is not a cursor this server issued")

// NewPage trims a result fetched with limit+1 rows to limit, and sets the next
// cursor from the last item kept. Every list store reads limit+1 rows for the
// limit it is given, so that one extra row, and nothing else, says whether
// another page follows.
func NewPage[T any](items []T, limit int, cursorOf func(T) any) Page[T] {
	p := Page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) > limit {
		p.Items = items[:limit]
		next := EncodeCursor(cursorOf(items[limit-1]))
		p.NextCursor = &next
	}
	return p
}

// UUIDParam returns the route parameter name when it is a UUID; anything else
// names no resource, so it is a 404.
func UUIDParam(c *fiber.Ctx, name string) (string, error) {
	v := c.Params(name)
	if !cc.IsUUID(v) {
		return "", cc.Errorf(cc.ENOTFOUND, "No such resource.")
	}
	return v, nil
}
