package reports

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	cc "github.com/cybercampus/cybercampus"
)

// compareValue is the order sortRows promises, one value at a time: NULL
// last, age bands youngest first, other values by their bytes.
func compareValue(dim string, a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	case dim == "age_band":
		return slices.Index(cc.AgeBands, *a) - slices.Index(cc.AgeBands, *b)
	}
	return strings.Compare(*a, *b)
}

func TestSortRowsOrdersAsTheValuesCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	pool := map[string][]string{
		"country":  {"", "K", "KE", "KEN", "Ké", "Z", "ab", "a", "é"},
		"age_band": append(slices.Clone(cc.AgeBands), "unknown", "other"),
		"cohort":   {"0f0c", "0f0c1", "ffff", "a"},
	}
	for round := range 200 {
		dims := [][]string{{"country"}, {"age_band", "country"}, {"cohort", "age_band", "country"}}[round%3]
		rows := make([]Row, 1+r.IntN(60))
		for i := range rows {
			rows[i] = Row{dims: dims, Values: make([]*string, len(dims)), Counts: Counts{Learners: int64(i)}}
			for d, dim := range dims {
				if r.IntN(6) > 0 {
					v := pool[dim][r.IntN(len(pool[dim]))]
					rows[i].Values[d] = &v
				}
			}
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b Row) int {
			for i := range a.Values {
				if c := compareValue(a.dims[i], a.Values[i], b.Values[i]); c != 0 {
					return c
				}
			}
			return 0
		})
		sortRows(rows)
		for i := range rows {
			// Learners holds the original position: equal rows keep their order.
			if rows[i].Counts.Learners != want[i].Counts.Learners {
				t.Fatalf("round %d: position %d holds row %d, want row %d", round, i, rows[i].Counts.Learners, want[i].Counts.Learners)
			}
		}
	}
}

func TestDimValueSharesOneStringPerValue(t *testing.T) {
	values := map[string]*string{}
	a, _ := dimValue(values, "KE")
	b, _ := dimValue(values, []byte("KE"))
	c, _ := dimValue(values, "UG")
	if a != b || *a != "KE" || c == a || *c != "UG" {
		t.Fatalf("got %p %p %p", a, b, c)
	}
	if n, err := dimValue(values, nil); n != nil || err != nil {
		t.Fatalf("NULL gave %v, %v", n, err)
	}
	if _, err := dimValue(values, int64(1)); err == nil {
		t.Fatal("a number was taken as a dimension value")
	}
}
