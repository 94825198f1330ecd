package reports

import (
	"math"
	"testing"
)

// published is the README's perturbation distribution for counts of 5 or
// more (noise −2..+2 with these probabilities): the tests derive their
// bounds from it, not from the table under test.
var published = map[int64]float64{-2: 0.1, -1: 0.2, 0: 0.4, 1: 0.2, 2: 0.1}

func TestPerturbationTable(t *testing.T) {
	dist := func(n int64) map[int64]int { // perturbation → number of cell keys giving it
		d := map[int64]int{}
		for key := range int64(KeyRange) {
			d[perturbation(n, key)]++
		}
		return d
	}
	t.Run("zero stays zero whatever the key", func(t *testing.T) {
		if d := dist(0); len(d) != 1 || d[0] != KeyRange {
			t.Fatalf("0 is perturbed: %v", d)
		}
	})
	t.Run("counts of 5 or more move by at most 2, as the README says", func(t *testing.T) {
		for _, n := range []int64{5, 6, 20, 1000, 1 << 40} {
			for v, keys := range dist(n) {
				if want := published[v]; math.Abs(float64(keys)/KeyRange-want) > 0.5/KeyRange+1e-9 {
					t.Fatalf("count %d: perturbation %+d for %d of %d keys, want a share of %v", n, v, keys, KeyRange, want)
				}
			}
		}
	})
	t.Run("small counts are never published as 1 or 2, nor below zero, nor more than 2 above", func(t *testing.T) {
		for n := int64(1); n < 5; n++ {
			for v := range dist(n) {
				if out := n + v; out < 0 || out == 1 || out == 2 || v > 2 {
					t.Fatalf("count %d can be published as %d", n, out)
				}
			}
		}
	})
	t.Run("every count is unbiased to a 256th", func(t *testing.T) {
		for n := int64(1); n <= 6; n++ {
			var sum int64
			for v, keys := range dist(n) {
				sum += v * int64(keys)
			}
			if math.Abs(float64(sum)/KeyRange) > 2.0/KeyRange {
				t.Fatalf("count %d: mean perturbation %v", n, float64(sum)/KeyRange)
			}
		}
	})
	t.Run("the stated variance is the table's", func(t *testing.T) {
		var v float64
		for p, share := range published {
			v += float64(p*p) * share
		}
		if math.Abs(v-Variance) > 0.02 || Variance != disclosure(5).Variance {
			t.Fatalf("variance %v, table says %v", v, Variance)
		}
	})
	t.Run("each measure has its own cell key", func(t *testing.T) {
		seen := map[int64]bool{}
		for m := range 4 {
			seen[measureKey(100, m)] = true
		}
		if len(seen) != 3 { // learners and enrollments use different records' keys, offset 0 both
			t.Fatalf("cell keys %v", seen)
		}
		if measureKey(-1, 0) != KeyRange-1 || measureKey(KeyRange*3+5, 0) != 5 {
			t.Fatal("a key sum is not reduced modulo the key range")
		}
	})
}

func TestGenderParity(t *testing.T) {
	g := []string{"gender"}
	row := func(gender string, learners, completions int64) Row {
		return Row{dims: g, Values: []*string{&gender}, Counts: Counts{Learners: learners, Enrollments: learners, Completions: completions}}
	}
	tests := []struct {
		name     string
		rows     []Row
		learners *float64
	}{
		{"both large", []Row{row("female", 200, 50), row("male", 100, 0)}, ptr(2.0)},
		{"no women at all is a shown zero", []Row{row("male", 100, 10)}, ptr(0.0)},
		{"few women hide the ratio", []Row{row("female", 2, 0), row("male", 100, 0)}, nil},
		{"few men hide the ratio", []Row{row("female", 100, 0), row("male", 2, 0)}, nil},
		{"no men: no ratio", []Row{row("female", 100, 0)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := genderParity(tt.rows, 5)
			if tt.learners == nil {
				if got.Learners != nil {
					t.Fatalf("parity %v", *got.Learners)
				}
				return
			}
			// Perturbation moves 200 and 100 by at most 2 each.
			if got.Learners == nil || math.Abs(*got.Learners-*tt.learners) > 0.05 {
				t.Fatalf("parity %v, want about %v", got.Learners, *tt.learners)
			}
		})
	}
}

func ptr(f float64) *float64 { return &f }
