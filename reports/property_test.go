package reports

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// population identifies what a published count counts: the measure and the
// sorted ids of the people (learners) or enrollments behind it.
func population(measure string, ids []string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return measure + ":" + strings.Join(ids, ",")
}

// populations returns the population of each measure of a set of facts, and
// its true size.
func populations(facts []fact) (keys [4]string, truth [4]int64) {
	var ids [4][]string
	for _, f := range facts {
		ids[0] = append(ids[0], f.UserID)
		ids[1] = append(ids[1], f.ID)
		if f.Completed {
			ids[2] = append(ids[2], f.ID)
		}
		if f.Certified {
			ids[3] = append(ids[3], f.ID)
		}
	}
	for m, name := range []string{"learners", "enrollments", "completions", "certificates"} {
		keys[m] = population(name, ids[m])
		truth[m] = int64(len(slices.Compact(slices.Sorted(slices.Values(ids[m])))))
	}
	return keys, truth
}

// shownValue is a fact's value of a dimension as a report shows it (courses
// by slug), read by the test itself.
func shownValue(f fact, dim string) string {
	if dim == "course" {
		return f.Course
	}
	if v := f.value(dim); v != nil {
		return *v
	}
	return "\x01none"
}

// TestOneAnswerPerPopulation checks, over every grouping and filter of a
// random population, through the rollups and the raw tables: the same set of
// people (or enrollments) always gets the same published number; every
// number is within the contract's bounds of the truth (a true zero is zero);
// every listed row has min_cell_size learners or more, no row is listed that
// counts nobody, and the totals do not depend on which rows are shown. The
// cells are grouped here from the raw enrollments, independently of the
// report's own code.
func TestOneAnswerPerPopulation(t *testing.T) {
	f := fixtures{t, testDB.DB}
	s := NewStore(testDB.DB, testDB.DB, time.Now)
	ds := f.randomData(rand.New(rand.NewPCG(17, 19)), 150)
	sameMonthMovers(f, ds)
	f.refresh(s)
	facts := loadFacts(t, s)
	const k = 5
	seen := map[string]int64{}
	where := map[string]string{}
	repeats := 0
	record := func(t *testing.T, at string, keys [4]string, truth [4]int64, c Counts) {
		t.Helper()
		for m, v := range c.measures() {
			if !nearTruth(*v, truth[m]) {
				t.Fatalf("%s: %s = %d, true %d", at, strings.SplitN(keys[m], ":", 2)[0], *v, truth[m])
			}
			if prev, ok := seen[keys[m]]; ok {
				repeats++
				if prev != *v {
					t.Fatalf("the same population is %d in %s and %d in %s", prev, where[keys[m]], *v, at)
				}
				continue
			}
			seen[keys[m]], where[keys[m]] = *v, at
		}
	}
	filters := append(exactFilters(ds), Params{Region: "africa", From: "2024-02-01", To: "2024-04-30"},
		Params{Country: "NG", Course: ds.courses[1].Slug})
	for _, p := range filters {
		for _, g := range exactGroupings {
			p.GroupBy = g
			q := query(t, s, p)
			var cells = map[string][]fact{}
			var all []fact
			for _, fa := range facts {
				if !fa.matches(q) {
					continue
				}
				all = append(all, fa)
				var vals []string
				for _, d := range q.GroupBy {
					vals = append(vals, shownValue(fa, d))
				}
				key := strings.Join(vals, "|")
				cells[key] = append(cells[key], fa)
			}
			var first []byte
			for _, live := range []bool{false, true} {
				at := fmt.Sprintf("group_by=%s filters=%+v live=%v", g, p, live)
				rep, err := participationVia(context.Background(), s, q, live)
				if err != nil {
					t.Fatal(err)
				}
				body, err := rep.JSON()
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = stripTimes(body)
				} else if !bytes.Equal(first, stripTimes(body)) {
					t.Fatalf("%s: the raw tables give %s, the rollups %s", at, body, first)
				}
				keys, truth := populations(all)
				if !rep.Totals.Suppressed {
					record(t, at+" totals", keys, truth, rep.Totals.Counts)
				} else if truth[0] >= k+2 {
					t.Fatalf("%s: totals of %d learners suppressed", at, truth[0])
				}
				listed := map[string]bool{}
				for _, r := range rep.Rows {
					var vals []string
					for _, v := range r.Values {
						if v == nil {
							vals = append(vals, "\x01none")
						} else {
							vals = append(vals, *v)
						}
					}
					key := strings.Join(vals, "|")
					members, ok := cells[key]
					if !ok || r.Suppressed || r.Counts.Learners < k {
						t.Fatalf("%s: row %q is listed (%d learners, %v) but counts nobody or too few", at, key, r.Counts.Learners, ok)
					}
					listed[key] = true
					keys, truth := populations(members)
					record(t, at+" row "+key, keys, truth, r.Counts)
				}
				for key, members := range cells {
					if len(q.GroupBy) == 0 {
						break // the totals alone
					}
					_, truth := populations(members)
					switch {
					case truth[0] >= k+2 && !listed[key]:
						t.Fatalf("%s: row %q of %d learners is not listed", at, key, truth[0])
					case truth[0] <= k-3 && listed[key]:
						t.Fatalf("%s: row %q of %d learners is listed", at, key, truth[0])
					}
				}
			}
		}
	}
	if repeats < 500 {
		t.Fatalf("only %d populations were published more than once: the check proves little", repeats)
	}
	t.Logf("%d populations, %d published again", len(seen), repeats)

	t.Run("a restarted store gives the same reports", func(t *testing.T) {
		again := NewStore(testDB.DB, testDB.DB, time.Now)
		for _, g := range exactGroupings {
			q := query(t, s, Params{GroupBy: g})
			a, err1 := s.Participation(context.Background(), q)
			b, err2 := again.Participation(context.Background(), q)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			x, _ := a.JSON()
			y, _ := b.JSON()
			if !bytes.Equal(stripTimes(x), stripTimes(y)) {
				t.Fatalf("group_by=%s: %s, then %s", g, x, y)
			}
		}
	})
}
