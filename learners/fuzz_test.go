package learners

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/internal/web"
)

// FuzzMemberCSV feeds hostile roster files to the CSV import of
// POST /v1/cohorts/{id}/members. The reader answers a 400, 413 or 422 or a
// member list, never a panic, and the list it returns is sound: no more valid
// rows than the file has lines after the header, every email valid, trimmed
// and distinct in any letter case, every line error pointing into the file.
func FuzzMemberCSV(f *testing.F) {
	for _, s := range []string{
		"email\namina@example.org\n",
		"Name,EMAIL,Country\nAmina,amina@example.org,KE\nBo,bo@example.org,FJ\n",
		"\xEF\xBB\xBFemail\r\nA@Example.org\r\na@example.org\r\n",
		"email\n\"multi\nline\"@example.org\n",
		"email\n\"unterminated\n",
		"email\nnot-an-email\n\n ,\n",
		"name\nno email column\n",
		"",
		"email\n=cmd|' /C calc'!A0\n",
		"email\n'; DROP TABLE users; --@example.org\n",
		"email,email\na@example.org,b@example.org\n",
		"email\n\xff\xfe\n",
		"email\nx\"y@example.org\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := memberCSV(body)
		if err != nil {
			e, ok := err.(*cc.Error)
			if !ok || (e.Code != cc.EBADREQUEST && e.Code != cc.EINVALID && e.Code != cc.ETOOLARGE) {
				t.Fatalf("refusal %v is not a 400, 413 or 422", err)
			}
			return
		}
		lines := bytes.Count(body, []byte("\n")) + 1
		if len(l.emails) > lines-1 {
			t.Fatalf("%d valid rows from %d lines", len(l.emails), lines)
		}
		if len(l.emails) > maxMemberRows {
			t.Fatalf("%d rows accepted, limit %d", len(l.emails), maxMemberRows)
		}
		seen := map[string]bool{}
		for _, e := range l.emails {
			var v cc.Validation
			accounts.ValidateEmail(&v, e)
			if len(v.Fields) > 0 || e != strings.TrimSpace(e) {
				t.Fatalf("invalid email %q accepted", e)
			}
			if seen[strings.ToLower(e)] {
				t.Fatalf("email %q accepted twice", e)
			}
			seen[strings.ToLower(e)] = true
		}
		for _, le := range l.errors {
			if le.Line < 2 || le.Line > lines || le.Error == "" {
				t.Fatalf("line error %+v outside the file's %d lines", le, lines)
			}
		}
	})
}

// FuzzProgressBatch feeds hostile bodies to the decoder of POST /v1/progress
// (the strict JSON binding and the batch validation). It answers a 400 or a
// 422, never a panic; a batch it accepts holds 1 to 500 well-formed events
// with lower-case UUIDs, and accepting is stable: the normalised batch
// encoded again is accepted with the same events.
func FuzzProgressBatch(f *testing.F) {
	ev := func(id, lesson, at string) string {
		return `{"id":"` + id + `","lesson_id":"` + lesson + `","type":"lesson_completed","occurred_at":"` + at + `"}`
	}
	const a, b, l = "0b6f3c9e-1d2a-4c5b-8e7f-112233445566", "1C6F3C9E-1D2A-4C5B-8E7F-112233445566", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	for _, s := range []string{
		`{"events":[` + ev(a, l, "2026-01-31T09:30:00Z") + `]}`,
		`{"events":[` + ev(a, l, "2026-01-31T09:30:00Z") + `,` + ev(a, l, "2026-01-31T10:30:00+01:00") + `]}`,
		`{"events":[` + ev(a, l, "2026-01-31T09:30:00Z") + `,` + ev(a, l, "2026-01-31T09:31:00Z") + `]}`,
		`{"events":[` + ev(b, strings.ToUpper(l), "2026-01-31T09:30:00.123456789-05:00") + `]}`,
		`{"events":[]}`, `{"events":null}`, `{}`, `[]`, `{"events":[{}]}`,
		`{"events":[` + ev(a, l, "yesterday") + `],"completed_at":"2026-01-01T00:00:00Z"}`,
		`{"events":[{"id":1,"lesson_id":true,"type":null,"occurred_at":[]}]}`,
		`{"events":[` + ev(a, l, "2026-01-31T09:30:00Z") + `]} {}`,
		`{"events":[` + strings.Repeat(ev(a, l, "2026-01-31T09:30:00Z")+",", 500) + ev(b, l, "2026-01-31T09:30:00Z") + `]}`,
		"{\"events\":[\"\\u0000\"]}", "{\"events\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeBatch(body)
		if err != nil {
			return
		}
		if n := len(b.Events); n == 0 || n > maxBatchEvents {
			t.Fatalf("batch of %d events accepted", n)
		}
		for _, e := range b.Events {
			if !cc.IsUUID(e.ID) || !cc.IsUUID(e.LessonID) || e.ID != strings.ToLower(e.ID) ||
				e.LessonID != strings.ToLower(e.LessonID) || e.Type != EventLessonCompleted || e.at.IsZero() || e.at.Location() != time.UTC {
				t.Fatalf("malformed event accepted: %+v", e)
			}
		}
		u := b.unique()
		ids := map[string]bool{}
		for _, e := range u {
			if ids[e.ID] {
				t.Fatalf("event %s kept twice", e.ID)
			}
			ids[e.ID] = true
		}
		if len(u) > len(b.Events) || len(ids) == 0 {
			t.Fatalf("%d unique events of %d", len(u), len(b.Events))
		}
		again, _ := json.Marshal(b)
		b2, err := decodeBatch(again)
		if err != nil {
			t.Fatalf("the normalised batch is refused: %v\n%s", err, again)
		}
		if len(b2.Events) != len(b.Events) {
			t.Fatalf("%d events after re-encoding, %d before", len(b2.Events), len(b.Events))
		}
		for i := range b.Events {
			if b.Events[i].ID != b2.Events[i].ID || b.Events[i].LessonID != b2.Events[i].LessonID || !b.Events[i].at.Equal(b2.Events[i].at) {
				t.Fatalf("event %d changed through re-encoding: %+v → %+v", i, b.Events[i], b2.Events[i])
			}
		}
	})
}

// decodeBatch runs the decoding POST /v1/progress does and fails the test on
// any refusal other than a 400 or a 422.
func decodeBatch(body []byte) (ProgressBatch, error) {
	var b ProgressBatch
	err := web.DecodeJSON(body, &b)
	if err == nil {
		err = b.Validate()
	}
	if err != nil {
		if e, ok := err.(*cc.Error); !ok || (e.Code != cc.EBADREQUEST && e.Code != cc.EINVALID) {
			panic("progress batch refused with " + err.Error() + ", not a 400 or 422")
		}
	}
	return b, err
}
