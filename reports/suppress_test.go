package reports

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomFacts makes an in-memory population of learners with 1–3 enrollments
// each over a few courses and months; some change country or age band.
func randomFacts(r *rand.Rand) []fact {
	var facts []fact
	countries := map[string]string{"KE": "africa", "NG": "africa", "FJ": "asia_pacific", "NP": "asia_pacific", "BR": "americas"}
	codes := []string{"KE", "NG", "FJ", "NP", "BR"}
	users := 10 + r.IntN(90)
	for u := range users {
		gender := fxGenders[r.IntN(1+r.IntN(4))]
		country, age := pick(r, codes), pick(r, fxAges[:3])
		for _, c := range r.Perm(4)[:1+r.IntN(3)] {
			if r.IntN(10) == 0 {
				country = pick(r, codes)
			}
			if r.IntN(12) == 0 {
				age = pick(r, fxAges[:3])
			}
			completed := r.IntN(3) == 0
			facts = append(facts, fact{UserID: fmt.Sprint(u), Gender: gender, Country: country, Region: countries[country],
				Audience: "youth", AgeBand: age, CourseID: fmt.Sprint("course-", c), Cohort: sql.NullString{},
				At:        time.Date(2024, time.Month(1+r.IntN(3)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC),
				Completed: completed, Certified: completed && r.IntN(2) == 0})
		}
	}
	return facts
}

func rowsOf(cells map[string]Counts, facts []fact, dims []string) []Row {
	var rows []Row
	seen := map[string]bool{}
	for _, f := range facts {
		r := Row{dims: dims, Values: make([]*string, len(dims))}
		for i, d := range dims {
			r.Values[i] = f.value(d)
		}
		k := rowKey(r)
		if c, ok := cells[k]; ok && !seen[k] {
			seen[k] = true
			r.Counts = c
			rows = append(rows, r)
		}
	}
	return rows
}

// recovered reports whether an analyst who knows the margin and the shown
// cells of a group can work out a hidden cell's value of one measure: the
// residual margin − shown is the sum of the hidden cells, each of which is at
// least lb; it pins a value when only one cell is hidden, or when the residual
// leaves every hidden cell at its lower bound. (When every cell of a group is
// hidden, suppression has nothing left to add; the residual is the margin,
// which another report shows anyway.)
//
// Only small cells (fewer than k learners) are checked: a complementary cell
// holds at least k learners, and finding its value discloses no small group.
func recovered(group []Row, margin int64, get func(Counts) int64, lb, k int64) (bool, string) {
	residual := margin
	var hidden []Row
	for _, r := range group {
		if r.Suppressed {
			hidden = append(hidden, r)
		} else {
			residual -= get(r.Counts)
		}
	}
	for _, h := range hidden {
		if h.Counts.Learners >= k {
			continue
		}
		v := get(h.Counts)
		if len(hidden) == 1 && residual == v {
			return true, fmt.Sprintf("the only hidden cell has %d = margin %d − shown", v, margin)
		}
		if len(hidden) > 1 && len(hidden) < len(group) && residual == lb*int64(len(hidden)) && v == lb && margin != 0 {
			return true, fmt.Sprintf("%d hidden cells leave a residual of %d: each is %d", len(hidden), residual, lb)
		}
	}
	return false, ""
}

var measuresOf = []struct {
	name     string
	get      func(Counts) int64
	lb       int64
	additive bool
}{
	{"learners", func(c Counts) int64 { return c.Learners }, 1, false},
	{"enrollments", func(c Counts) int64 { return c.Enrollments }, 1, true},
	{"completions", func(c Counts) int64 { return c.Completions }, 0, true},
	{"certificates", func(c Counts) int64 { return c.Certificates }, 0, true},
}

func TestSuppressionProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 1))
	pool := []string{"gender", "region", "country", "course", "month", "age_band"}
	checked := 0
	for iter := range 400 {
		facts := randomFacts(r)
		dims := slices.Clone(pool)
		r.Shuffle(len(dims), func(i, j int) { dims[i], dims[j] = dims[j], dims[i] })
		dims = dims[:1+r.IntN(3)]
		k := 3 + r.IntN(4)
		rows := rowsOf(reference(facts, Query{}, dims), facts, dims)
		suppress(rows, len(dims), k)
		name := fmt.Sprintf("iteration %d: group_by=%v k=%d", iter, dims, k)
		for _, row := range rows {
			if row.Counts.Learners < int64(k) && !row.Suppressed {
				t.Fatalf("%s: a cell of %d learners is shown", name, row.Counts.Learners)
			}
		}
		for d := range dims {
			if dependent(dims, d) {
				continue // the same cells as the report without d
			}
			rest := slices.Delete(slices.Clone(dims), d, d+1)
			margins := reference(facts, Query{}, rest)
			for _, idx := range marginGroups(rows, len(dims), d) {
				group := make([]Row, len(idx))
				for i, j := range idx {
					group[i] = rows[j]
				}
				mkey := Row{Values: slices.Delete(slices.Clone(group[0].Values), d, d+1)}
				margin := margins[rowKey(mkey)]
				if margin.Learners < int64(k) {
					continue // the margin is itself hidden
				}
				for _, m := range measuresOf {
					var sum int64
					for _, g := range group {
						sum += m.get(g.Counts)
					}
					if !m.additive && sum != m.get(margin) {
						continue // a person is in several cells: subtraction does not give a cell's value
					}
					checked++
					if ok, why := recovered(group, m.get(margin), m.get, m.lb, int64(k)); ok {
						t.Fatalf("%s: margin over %s %v: %s recoverable: %s", name, dims[d], *mkeyString(mkey), m.name, why)
					}
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d margins checked", checked)
	}
}

func mkeyString(r Row) *string {
	s := ""
	for _, v := range r.Values {
		if v != nil {
			s += *v + "|"
		}
	}
	return &s
}

func TestSuppressionRules(t *testing.T) {
	v := func(s string) *string { return &s }
	row := func(g, reg string, learners, completions int64) Row {
		return Row{dims: []string{"gender", "region"}, Values: []*string{v(g), v(reg)},
			Counts: Counts{Learners: learners, Enrollments: learners, Completions: completions}}
	}
	one := func(g string, learners, completions int64) Row {
		return Row{dims: []string{"gender"}, Values: []*string{v(g)},
			Counts: Counts{Learners: learners, Enrollments: learners, Completions: completions}}
	}
	tests := []struct {
		name string
		rows []Row
		want []bool
	}{
		{"nothing small, nothing hidden",
			[]Row{row("female", "africa", 10, 1), row("male", "africa", 12, 1)}, []bool{false, false}},
		{"one small cell hides the next smallest of its margins too",
			[]Row{one("female", 2, 1), one("male", 12, 1), one("other", 30, 1)},
			[]bool{true, true, false}},
		{"two hidden cells of one learner each also hide a third",
			[]Row{one("female", 1, 0), one("male", 1, 0), one("other", 7, 1), one("undisclosed", 9, 1)},
			[]bool{true, true, true, false}},
		{"hidden cells with no completions take one with completions",
			[]Row{one("female", 2, 0), one("male", 3, 0), one("other", 7, 0), one("undisclosed", 9, 4)},
			[]bool{true, true, false, true}},
		{"a cell alone in its margin is not used to protect another",
			[]Row{row("female", "africa", 2, 1), row("male", "africa", 6, 1), row("other", "africa", 9, 1),
				row("female", "europe", 30, 1), row("other", "europe", 20, 1)},
			[]bool{true, false, true, true, true}},
		{"secondary suppression follows both margins",
			[]Row{row("female", "africa", 2, 1), row("male", "africa", 20, 1), row("female", "europe", 20, 1), row("male", "europe", 20, 1)},
			[]bool{true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			suppress(tt.rows, len(tt.rows[0].dims), 5)
			var got []bool
			for _, r := range tt.rows {
				got = append(got, r.Suppressed)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("suppressed %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGenderParity(t *testing.T) {
	v := func(s string) *string { return &s }
	g := func(gender string, learners, completions int64) Row {
		return Row{dims: []string{"gender"}, Values: []*string{v(gender)}, Counts: Counts{Learners: learners, Enrollments: learners, Completions: completions}}
	}
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		rows []Row
		want Parity
	}{
		{"female ÷ male", []Row{g("female", 30, 6), g("male", 20, 4), g("other", 9, 1)}, Parity{f(1.5), f(1.5)}},
		{"no men: undefined", []Row{g("female", 30, 6), g("other", 9, 1)}, Parity{}},
		{"small female cell: hidden", []Row{g("female", 3, 1), g("male", 20, 4), g("other", 9, 1)}, Parity{}},
		{"male hidden to protect a small cell: hidden", []Row{g("female", 40, 1), g("male", 10, 4), g("other", 2, 1)}, Parity{}},
		{"no completions by men: learners only", []Row{g("female", 30, 6), g("male", 20, 0), g("other", 9, 1)}, Parity{f(1.5), nil}},
		{"no women: zero", []Row{g("male", 20, 4), g("other", 9, 1)}, Parity{f(0), f(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := genderParity(tt.rows, 5)
			eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
			if !eq(got.Learners, tt.want.Learners) || !eq(got.Completions, tt.want.Completions) {
				t.Fatalf("got %v/%v, want %v/%v", deref(got.Learners), deref(got.Completions), deref(tt.want.Learners), deref(tt.want.Completions))
			}
		})
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
