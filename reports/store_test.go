package reports

import (
	"fmt"
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

// sortedAsPromised sorts a copy of rows stably by compareValue.
func sortedAsPromised(rows []Row) []Row {
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(a, b Row) int {
		for i := range a.Values {
			if c := compareValue(a.dims[i], a.Values[i], b.Values[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return want
}

// samePositions checks rows against want; Learners holds each row's original
// position, so equal rows must keep their order.
func samePositions(t *testing.T, what string, rows, want []Row) {
	t.Helper()
	for i := range rows {
		if rows[i].Counts.Learners != want[i].Counts.Learners {
			t.Fatalf("%s: position %d holds row %d, want row %d", what, i, rows[i].Counts.Learners, want[i].Counts.Learners)
		}
	}
}

func TestSortRowsOrdersAsTheValuesCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	pool := map[string][]string{
		"country":  {"", "K", "KE", "KEN", "Ké", "Z", "ab", "a", "é"},
		"age_band": append(slices.Clone(cc.AgeBands), "unknown", "other"),
		"cohort":   {"0f0c", "0f0c1", "ffff", "a"},
	}
	sorts := map[string]func([]Row){
		"by rank": func(rows []Row) {
			if !sortRowsByRank(rows) {
				t.Fatal("a small report did not fit in 64-bit keys")
			}
		},
		"by key": sortRowsByKey,
	}
	for round := range 300 {
		dims := [][]string{{"country"}, {"age_band", "country"}, {"cohort", "age_band", "country"}}[round%3]
		rows := make([]Row, 1+r.IntN(60))
		for i := range rows {
			rows[i] = Row{dims: dims, Values: make([]*string, len(dims)), Counts: Counts{Learners: int64(i)}}
			for d, dim := range dims {
				if r.IntN(6) > 0 {
					// A fresh copy: equal values at different addresses, as
					// after courseSlugs, must still compare equal.
					v := strings.Clone(pool[dim][r.IntN(len(pool[dim]))])
					rows[i].Values[d] = &v
				}
			}
		}
		want := sortedAsPromised(rows)
		for name, sort := range sorts {
			got := slices.Clone(rows)
			sort(got)
			samePositions(t, fmt.Sprintf("round %d, %s", round, name), got, want)
		}
	}
}

// A report whose distinct values would overflow 64-bit ranks is sorted by
// its keys instead.
func TestSortRowsBeyondSixtyFourBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dims := []string{"cohort", "course", "country", "month", "region"}
	rows := make([]Row, 5000)
	for i := range rows {
		rows[i] = Row{dims: dims, Values: make([]*string, len(dims)), Counts: Counts{Learners: int64(i)}}
		for d := range dims {
			v := fmt.Sprint(r.IntN(5000))
			rows[i].Values[d] = &v
		}
	}
	want := sortedAsPromised(rows)
	unchanged := slices.Clone(rows)
	if sortRowsByRank(unchanged) {
		t.Fatal("5,000^6 was taken to fit in 64 bits")
	}
	samePositions(t, "after refusing", unchanged, rows)
	sortRows(rows)
	samePositions(t, "sortRows", rows, want)
}

func TestDimValueSharesOneStringPerValue(t *testing.T) {
	values := map[string]*string{}
	a, _ := dimValue(values, "KE", false)
	b, _ := dimValue(values, []byte("KE"), false)
	c, _ := dimValue(values, "UG", false)
	if a != b || *a != "KE" || c == a || *c != "UG" {
		t.Fatalf("got %p %p %p", a, b, c)
	}
	if n, err := dimValue(values, nil, false); n != nil || err != nil {
		t.Fatalf("NULL gave %v, %v", n, err)
	}
	if _, err := dimValue(values, int64(1), false); err == nil {
		t.Fatal("a number was taken as a dimension value")
	}
	// a month column: the rollups' ISO dates are cut to their month, as text
	// or as bytes, and share the month's one string
	m1, _ := dimValue(values, "2024-05-01", true)
	m2, _ := dimValue(values, []byte("2024-05-01"), true)
	m3, _ := dimValue(values, "2024-05", true)
	if m1 != m2 || m1 != m3 || *m1 != "2024-05" {
		t.Fatalf("months %q %q %q", *m1, *m2, *m3)
	}
	if d, _ := dimValue(values, "2024-05-01", false); *d != "2024-05-01" {
		t.Fatalf("a date outside the month column was cut: %q", *d)
	}
}

// BenchmarkSortRows sorts a country × month report: 250 countries × 24
// months, in the order a hash aggregate returns them.
func BenchmarkSortRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	dims := []string{"country", "month"}
	values := map[string]*string{} // shared as scanRows shares them
	var rows []Row
	for c := range 250 {
		country, _ := dimValue(values, string([]byte{'A' + byte(c/26), 'A' + byte(c%26)}), false)
		for m := range 24 {
			month, _ := dimValue(values, fmt.Sprintf("2024-%02d", m+1), false)
			rows = append(rows, Row{dims: dims, Values: []*string{country, month}})
		}
	}
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	work := make([]Row, len(rows))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, rows)
		sortRows(work)
	}
}

// TestRowCountsStayBounded: the remembered row counts are capacities for the
// next run of the same query, kept for at most maxRowCounts queries.
func TestRowCountsStayBounded(t *testing.T) {
	c := rowCounts{m: map[string]int{}}
	if n := c.get("q0"); n != 0 {
		t.Fatalf("unknown query: %d", n)
	}
	for i := range maxRowCounts + 10 {
		c.put(fmt.Sprint("q", i), i)
	}
	if len(c.m) > maxRowCounts {
		t.Fatalf("%d queries remembered", len(c.m))
	}
	last := fmt.Sprint("q", maxRowCounts+9)
	c.put(last, 7)
	if n := c.get(last); n != 7 {
		t.Fatalf("got %d, want the last count, 7", n)
	}
	c.put(last, 10*maxRowCount)
	if n := c.get(last); n != maxRowCount {
		t.Fatalf("got %d, want the cap, %d", n, maxRowCount)
	}
}
