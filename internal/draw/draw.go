// Package draw picks and orders assessment items for one learner: which
// questions of a larger pool a learner is served, and in which order the
// options of each are shown. Everything follows from a Seed, so the page that
// shows the items and the grader that scores them agree without storing the
// draw, and two learners (or two attempts of one learner) get different
// draws, so that answers passed between learners help little.
//
// The order of items under a seed is the order of SHA-256(seed, item id):
// it depends on nothing but the seed and the ids, never on a library's
// random number generator, so a draw made today is the draw made after an
// upgrade.
package draw

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
)

// Seed fixes one draw: the same seed over the same ids always gives the same
// items in the same order.
type Seed [sha256.Size]byte

// NewSeed derives a seed from a purpose (what is drawn, e.g. "quiz-attempt")
// and the parts that say for whom and when. Each part is length-prefixed, so
// ("ab", "c") and ("a", "bc") give different seeds.
func NewSeed(purpose string, parts ...string) Seed {
	h := sha256.New()
	for _, p := range append([]string{"cybercampus/draw/v1", purpose}, parts...) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var s Seed
	h.Sum(s[:0])
	return s
}

// QuizAttempt is the seed of a learner's attempt number attempt (from 1) at
// a quiz: the questions drawn for it and the order of their options.
func QuizAttempt(quizID, userID string, attempt int) Seed {
	return NewSeed("quiz-attempt", quizID, userID, strconv.Itoa(attempt))
}

// rank is where id falls in the seed's order.
func (s Seed) rank(id string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(s[:])
	h.Write([]byte(id))
	var r [sha256.Size]byte
	h.Sum(r[:0])
	return r
}

// Shuffle returns a copy of ids in the seed's order.
func (s Seed) Shuffle(ids []string) []string {
	ranks := make(map[string][sha256.Size]byte, len(ids))
	for _, id := range ids {
		ranks[id] = s.rank(id)
	}
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b string) int {
		ra, rb := ranks[a], ranks[b]
		if c := bytes.Compare(ra[:], rb[:]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// Pick draws n of the distinct ids and returns them in the order ids lists them (a
// pool written from easy to hard stays so). n <= 0 or n >= len(ids) takes
// every id. Ids avoid reports (items the learner has seen, say) are drawn
// only when the others are too few; avoid may be nil.
func (s Seed) Pick(ids []string, n int, avoid func(id string) bool) []string {
	if n <= 0 || n >= len(ids) {
		return slices.Clone(ids)
	}
	order := s.Shuffle(ids)
	if avoid != nil {
		// Stable: fresh items first, each group still in the seed's order.
		slices.SortStableFunc(order, func(a, b string) int { return boolCmp(avoid(a), avoid(b)) })
	}
	chosen := make(map[string]bool, n)
	for _, id := range order[:n] {
		chosen[id] = true
	}
	out := make([]string, 0, n)
	for _, id := range ids {
		if chosen[id] {
			out = append(out, id)
		}
	}
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
