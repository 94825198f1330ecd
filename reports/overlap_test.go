package reports

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestOverlapWeights checks inclusion–exclusion itself: for one learner's
// cells, in every grouping of the columns (each column grouped or not) and
// every group, the learner's rows that fall in the group (their cells, +1
// each, and the overlap rows) add up to 1 when one of the cells does and to
// 0 otherwise. Cells are drawn over three columns of two or three values so
// that cells share values often.
func TestOverlapWeights(t *testing.T) {
	values := [][]string{{"a", "b"}, {"x", "y", "z"}, {"1", "2"}}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		var cells [][]string
		seen := map[string]bool{}
		for range 2 + r.IntN(6) {
			c := []string{values[0][r.IntN(2)], values[1][r.IntN(3)], values[2][r.IntN(2)]}
			if k := strings.Join(c, ","); !seen[k] {
				seen[k] = true
				cells = append(cells, c)
			}
		}
		rows := overlapWeights(cells)
		for k, o := range rows {
			if !slices.Contains(o.cell, unset) || o.weight == 0 || k != strings.Join(o.cell, "\x00") {
				t.Fatalf("trial %d: row %q weight %d is not an overlap row", trial, o.cell, o.weight)
			}
		}
		for mask := range 1 << 3 {
			for _, group := range allGroups(values) {
				in := func(c []string) bool {
					for i := range c {
						if mask&(1<<i) != 0 && c[i] != group[i] {
							return false
						}
					}
					return true
				}
				var sum int64
				want := int64(0)
				for _, c := range cells {
					if in(c) {
						sum, want = sum+1, 1
					}
				}
				for _, o := range rows {
					if in(o.cell) {
						sum += o.weight
					}
				}
				if sum != want {
					t.Fatalf("trial %d: cells %q, grouping %03b, group %q: weights add up to %d, want %d (rows %v)",
						trial, cells, mask, group, sum, want, rows)
				}
			}
		}
	}
}

// allGroups lists every combination of values, one per column.
func allGroups(values [][]string) [][]string {
	groups := [][]string{{}}
	for _, vs := range values {
		var next [][]string
		for _, g := range groups {
			for _, v := range vs {
				next = append(next, append(slices.Clone(g), v))
			}
		}
		groups = next
	}
	return groups
}

func TestOverlapWeightsOfTwoCells(t *testing.T) {
	rows := overlapWeights([][]string{{"female", "KE", "25_34"}, {"female", "KE", "35_44"}})
	if len(rows) != 1 {
		t.Fatalf("%d rows, want the one meet: %v", len(rows), rows)
	}
	for _, o := range rows {
		if !slices.Equal(o.cell, []string{"female", "KE", unset}) || o.weight != -1 {
			t.Fatalf("row %q weight %d, want [female KE unset] weight -1", o.cell, o.weight)
		}
	}
}
