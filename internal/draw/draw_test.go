package draw

import (
	"fmt"
	"slices"
	"testing"
)

func pool(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("q%02d", i)
	}
	return ids
}

func TestPick(t *testing.T) {
	ids := pool(20)
	t.Run("draws n distinct items in pool order", func(t *testing.T) {
		got := QuizAttempt("quiz", "user", 1).Pick(ids, 5, nil)
		if len(got) != 5 || len(slices.Compact(slices.Clone(got))) != 5 {
			t.Fatalf("drew %v", got)
		}
		if !slices.IsSorted(got) {
			t.Fatalf("%v is not in pool order", got)
		}
		for _, id := range got {
			if !slices.Contains(ids, id) {
				t.Fatalf("%s is not in the pool", id)
			}
		}
	})
	t.Run("the same seed draws the same items", func(t *testing.T) {
		a := QuizAttempt("quiz", "user", 1).Pick(ids, 5, nil)
		b := QuizAttempt("quiz", "user", 1).Pick(reversed(ids), 5, nil)
		if !slices.Equal(a, sortedLike(b, ids)) {
			t.Fatalf("%v then %v", a, b)
		}
	})
	t.Run("other learners and attempts draw other items", func(t *testing.T) {
		first := QuizAttempt("quiz", "user", 1).Pick(ids, 5, nil)
		differ := 0
		for i := range 20 {
			if !slices.Equal(first, QuizAttempt("quiz", fmt.Sprint("user", i), 2).Pick(ids, 5, nil)) {
				differ++
			}
		}
		if differ < 18 {
			t.Fatalf("only %d of 20 other draws differ", differ)
		}
	})
	t.Run("n out of range takes every item", func(t *testing.T) {
		for _, n := range []int{0, -1, 20, 21} {
			if got := QuizAttempt("q", "u", 1).Pick(ids, n, nil); !slices.Equal(got, ids) {
				t.Fatalf("n=%d drew %v", n, got)
			}
		}
	})
	t.Run("avoided items are drawn only when the others are too few", func(t *testing.T) {
		seen := map[string]bool{}
		for _, id := range ids[:15] {
			seen[id] = true
		}
		avoid := func(id string) bool { return seen[id] }
		if got := NewSeed("post", "u").Pick(ids, 5, avoid); !slices.Equal(got, ids[15:]) {
			t.Fatalf("drew %v, want the 5 unseen", got)
		}
		got := NewSeed("post", "u").Pick(ids, 8, avoid)
		fresh := 0
		for _, id := range got {
			if !seen[id] {
				fresh++
			}
		}
		if len(got) != 8 || fresh != 5 {
			t.Fatalf("drew %v: %d fresh, want all 5", got, fresh)
		}
	})
}

func TestShuffle(t *testing.T) {
	ids := pool(6)
	a := QuizAttempt("quiz", "user", 1).Shuffle(ids)
	if !slices.Equal(a, QuizAttempt("quiz", "user", 1).Shuffle(ids)) {
		t.Fatal("the same seed shuffled twice differently")
	}
	if !slices.Equal(sortedLike(a, ids), ids) {
		t.Fatalf("%v is not a permutation of %v", a, ids)
	}
	orders := map[string]bool{}
	for i := range 30 {
		orders[fmt.Sprint(QuizAttempt("quiz", "user", i+1).Shuffle(ids))] = true
	}
	if len(orders) < 20 {
		t.Fatalf("30 attempts gave only %d orders", len(orders))
	}
}

func TestNewSeedSeparatesParts(t *testing.T) {
	if NewSeed("p", "ab", "c") == NewSeed("p", "a", "bc") || NewSeed("p", "a") == NewSeed("q", "a") {
		t.Fatal("different parts gave the same seed")
	}
}

func reversed(ids []string) []string {
	r := slices.Clone(ids)
	slices.Reverse(r)
	return r
}

// sortedLike returns got in the order the pool lists its items.
func sortedLike(got, pool []string) []string {
	out := slices.Clone(got)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(pool, a) - slices.Index(pool, b) })
	return out
}
