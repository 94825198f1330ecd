package reports

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// suppress hides every row counting fewer than k learners, then applies
// complementary (secondary) suppression until each margin is safe.
//
// A margin is a group of rows that agree on every dimension but one: they add
// up to a cell of the report grouped without that dimension (for one
// dimension, to the totals), which the same analyst can ask for. Within every
// such group the suppressed rows must not be recoverable by subtracting the
// shown rows from the margin, so a group is safe when it has no suppressed row
// or when its suppressed rows:
//   - are at least two (otherwise margin − shown is the hidden value itself);
//   - hold more learners than rows (every row counts at least one learner and
//     one enrollment, so a residual equal to the number of hidden rows would
//     reveal that each holds exactly one);
//   - hold some completions and some certificates unless the whole group has
//     none (a zero residual would reveal zeros).
//
// Enrollments, completions and certificates are additive. Learners are
// additive only for dimensions a person has one value of within the filter;
// for the others (course, month, or a snapshot that changed) the sum of the
// rows exceeds the margin and subtraction reveals less. Treating every measure
// as additive is therefore safe for all of them; it may over-suppress
// course and month breakdowns slightly.
//
// This protects each report against subtraction within its own margins. It
// does not coordinate suppression between different reports (linked tables,
// or margins derived through a hierarchy not in the grouping, such as regions
// when grouped by country alone); exact protection of every combination needs
// an audit over all published tables.
func suppress(rows []Row, ndims, k int) {
	for i := range rows {
		rows[i].Suppressed = rows[i].Counts.Learners < int64(k)
	}
	if ndims == 0 || len(rows) == 0 {
		return
	}
	var margins [][][]int
	exposed := make([]bool, len(rows))
	// Margins are protected in the order of their dimension's name, so that a
	// table gets the same pattern whatever order group_by lists it in.
	order := make([]int, ndims)
	for d := range order {
		order[d] = d
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(rows[0].dims[a], rows[0].dims[b]) })
	for _, d := range order {
		if dependent(rows[0].dims, d) {
			continue
		}
		groups := marginGroups(rows, ndims, d)
		for _, g := range groups {
			if len(g) == 1 { // its margin is the cell itself: hiding it protects nothing
				exposed[g[0]] = true
			}
		}
		margins = append(margins, groups)
	}
	for changed := true; changed; {
		changed = false
		for _, groups := range margins {
			for _, group := range groups {
				if protect(rows, group, exposed) {
					changed = true
				}
			}
		}
	}
}

// dependent reports whether dimension d is a function of another grouped
// dimension (a country's region and flags): its margin groups are single rows
// equal to the cells of the same report without d.
func dependent(dims []string, d int) bool {
	return slices.Contains(dims, "country") && slices.Contains([]string{"region", "ldc", "sids", "lldc"}, dims[d])
}

// marginGroups returns the indexes of the rows grouped by every dimension but
// d, the groups in the order of their first row.
func marginGroups(rows []Row, ndims, d int) [][]int {
	index := map[string]int{} // a group's key → its place in groups
	var groups [][]int
	var key []byte
	for i, r := range rows {
		key = key[:0]
		for j := range ndims {
			if j != d {
				key = appendValueKey(key, r.Values[j])
			}
		}
		g, ok := index[string(key)]
		if !ok {
			g = len(groups)
			index[string(key)] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// protect suppresses further rows of group until it is safe; it reports
// whether it suppressed any.
func protect(rows []Row, group []int, exposed []bool) bool {
	changed := false
	for {
		need := unsafe(rows, group)
		if need == safe {
			return changed
		}
		j := complement(rows, group, need, exposed)
		if j < 0 {
			return changed // every row is already hidden
		}
		rows[j].Suppressed = true
		changed = true
	}
}

type need int

const (
	safe           need = iota
	anyRow              // too few hidden rows, or too few hidden learners
	withCompletion      // the hidden rows' completions would be revealed as zero
	withCertificate
)

func unsafe(rows []Row, group []int) need {
	var n int
	var hidden, all Counts
	for _, i := range group {
		c := rows[i].Counts
		all.Completions += c.Completions
		all.Certificates += c.Certificates
		if rows[i].Suppressed {
			n++
			hidden.Learners += c.Learners
			hidden.Completions += c.Completions
			hidden.Certificates += c.Certificates
		}
	}
	switch {
	case n == 0:
		return safe
	case n < 2 || hidden.Learners <= int64(n):
		return anyRow
	case hidden.Completions == 0 && all.Completions > 0:
		return withCompletion
	case hidden.Certificates == 0 && all.Certificates > 0:
		return withCertificate
	}
	return safe
}

// complement picks the smallest shown row of group that meets need, or -1.
// It prefers rows that are not exposed (alone in some margin, so equal to a
// cell of another report, where hiding them protects less).
func complement(rows []Row, group []int, need need, exposed []bool) int {
	for _, allowExposed := range []bool{false, true} {
		best := -1
		for _, i := range group {
			r := rows[i]
			if r.Suppressed || (exposed[i] && !allowExposed) || (need == withCompletion && r.Counts.Completions == 0) ||
				(need == withCertificate && r.Counts.Certificates == 0) {
				continue
			}
			if best < 0 || smaller(r, rows[best]) {
				best = i
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

func smaller(a, b Row) bool {
	if c := cmp.Compare(a.Counts.Learners, b.Counts.Learners); c != 0 {
		return c < 0
	}
	return a.Counts.Enrollments < b.Counts.Enrollments
}

// genderParity returns female ÷ male for learners and completions over the
// filtered population, given its rows grouped by gender alone. A ratio is
// null when male is zero or when either gender's cell would be suppressed in
// that grouping, since the ratio and one shown count would reveal the other.
func genderParity(byGender []Row, k int) Parity {
	rows := slices.Clone(byGender)
	for i := range rows {
		rows[i].dims = []string{"gender"}
	}
	suppress(rows, 1, k)
	var female, male *Row
	for i := range rows {
		switch *rows[i].Values[0] {
		case "female":
			female = &rows[i]
		case "male":
			male = &rows[i]
		}
	}
	if female == nil { // no women at all: a shown zero, not a small cell
		female = &Row{}
	}
	if male == nil || female.Suppressed || male.Suppressed {
		return Parity{}
	}
	return Parity{Learners: ratio(female.Counts.Learners, male.Counts.Learners),
		Completions: ratio(female.Counts.Completions, male.Counts.Completions)}
}

func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := math.Round(float64(a)/float64(b)*10000) / 10000
	return &r
}
