package web

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	cc "github.com/cybercampus/cybercampus"
)

// FuzzCursor feeds hostile ?cursor= values to Cursor, the position of every
// list ordered by time and id (/v1/me/enrollments, /v1/me/notifications,
// /v1/cohorts, /v1/me/certificates, /v1/me/surveys...).
// A cursor either decodes into a position a query can use (a time and a
// UUID) or is the 400 problem naming cursor; never anything in between, which
// is what reached PostgreSQL as "invalid input syntax for type uuid".
func FuzzCursor(f *testing.F) {
	good := EncodeCursor(Cursor{At: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC), ID: uuid.NewString()})
	for _, s := range []string{good, "e30", "bnVsbA", "W10", "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoifQ",
		"eyJpIjoieCJ9", "eyJ0IjoieCIsImkiOjF9", "%%%", "", "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpIjoiJzsgRFJPUCBUQUJMRSB1c2VyczstLSJ9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var k Cursor
		err := DecodeCursor(s, &k)
		if err == nil {
			if !k.Valid() || k.At.IsZero() || !cc.IsUUID(k.ID) {
				t.Fatalf("cursor %q accepted as %+v", s, k)
			}
			var again Cursor
			if DecodeCursor(EncodeCursor(k), &again) != nil || !again.At.Equal(k.At) || again.ID != k.ID {
				t.Fatalf("cursor %q does not round-trip: %+v", s, again)
			}
			return
		}
		var e *cc.Error
		if !errors.As(err, &e) || e.Code != cc.EBADREQUEST || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
			t.Fatalf("cursor %q: error %#v is not the 400 naming cursor", s, err)
		}
	})
}
