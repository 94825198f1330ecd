package reports

import (
	"fmt"
	"math"
	"slices"
)

// The cell-key method's parameters (see doc.go and the README, "How reports
// protect people").
const (
	// KeyRange is the number of record and cell keys: 0 to KeyRange−1.
	KeyRange = 256
	// MaxNoise bounds the perturbation of a count of ptableLarge or more.
	MaxNoise = 2
	// SmallCountThreshold is the smallest non-zero count ever published:
	// true counts of 1 to 4 become 0 or SmallCountThreshold or more.
	SmallCountThreshold = 3
)

// Method names the disclosure control in every report.
const Method = "cell_key_perturbation"

// keyOffsets shift the cell key of each measure (learners, enrollments,
// completions, certificates), so that two measures counting the same records
// (a cell whose every enrollment is completed) are perturbed independently.
// Learners use the learner keys, the others the enrollment keys.
var keyOffsets = [4]int64{0, 0, 85, 170}

// ptableLarge is the first count perturbed by ptable's last row.
const ptableLarge = 5

// ptable gives, for a true count n (rows 0 to ptableLarge, the last for every
// larger count), the distribution of its perturbation as a list of
// (perturbation, share of the 256 cell keys); the shares of a row add up to
// KeyRange and the perturbations average zero (to a 256th), so that sums of
// many cells stay unbiased.
//
// From 5 up the perturbation is −2..+2 with probabilities 0.1, 0.2, 0.4, 0.2,
// 0.1 (variance 1.21): the published count is within MaxNoise of the truth, so
// within max(2, 10 %) as the contract promises, and two cells with different
// keys get the same perturbation with probability 0.26 only, which is what an
// analyst differencing two answers can hope to be right with. Below 5 the
// published value avoids 1 and 2 (SmallCountThreshold) and zero is only ever
// 0: an empty cell is never made to look populated.
var ptable = [ptableLarge + 1][]struct{ v, share int64 }{
	{{0, 256}},
	{{-1, 171}, {2, 85}},                            // 1 → 0 or 3
	{{-2, 102}, {1, 103}, {2, 51}},                  // 2 → 0, 3 or 4
	{{-3, 51}, {0, 90}, {1, 77}, {2, 38}},           // 3 → 0, 3, 4 or 5
	{{-4, 26}, {-1, 38}, {0, 90}, {1, 64}, {2, 38}}, // 4 → 0, 3, 4, 5 or 6
	{{-2, 26}, {-1, 51}, {0, 102}, {1, 51}, {2, 26}},
}

// Variance is the variance of the perturbation of counts of 5 or more.
var Variance = func() float64 {
	var v float64
	for _, p := range ptable[ptableLarge] {
		v += float64(p.v*p.v*p.share) / KeyRange
	}
	return math.Round(v*100) / 100
}()

// perturbation is the noise added to a true count n with cell key key
// (0 ≤ key < KeyRange): the key picks a point of the row's cumulative
// distribution, so the same count and key always give the same noise.
func perturbation(n, key int64) int64 {
	row := ptable[min(n, ptableLarge)]
	var cum int64
	for _, p := range row {
		cum += p.share
		if key < cum {
			return p.v
		}
	}
	return row[len(row)-1].v
}

// measureKey is a cell's key for measure m from the sum of its records' keys.
func measureKey(keySum int64, m int) int64 {
	return ((keySum+keyOffsets[m])%KeyRange + KeyRange) % KeyRange
}

// perturb replaces exact counts by published ones, each looked up from its
// own cell key.
func perturb(c, keys Counts) Counts {
	out := c
	ks := keys.measures()
	for m, n := range out.measures() {
		if *n > 0 {
			*n = max(0, *n+perturbation(*n, measureKey(*ks[m], m)))
		}
	}
	return out
}

// discloseRows perturbs every row, then drops those whose published
// learners are under k: a combination too small to show is not listed at
// all, so its dimension values never reveal that it exists. The totals are
// perturbed and suppressed on their own, whatever rows are shown.
func discloseRows(rows []Row, k int) []Row {
	for i := range rows {
		rows[i].Counts = perturb(rows[i].Counts, rows[i].Keys)
		rows[i].Keys = Counts{}
	}
	return slices.DeleteFunc(rows, func(r Row) bool { return r.Counts.Learners < int64(k) })
}

// discloseTotals perturbs the totals, null when under k.
func discloseTotals(t Row, k int) Totals {
	c := perturb(t.Counts, t.Keys)
	return Totals{Counts: c, Suppressed: c.Learners < int64(k)}
}

// Disclosure is the method and parameters a report states it was protected by.
type Disclosure struct {
	Method              string  `json:"method"`
	KeyRange            int     `json:"key_range"`
	MaxNoise            int     `json:"max_noise"`
	Variance            float64 `json:"variance"`
	SmallCountThreshold int     `json:"small_count_threshold"`
	MinCellSize         int     `json:"min_cell_size"`
	DatePrecision       string  `json:"date_precision"`
	Note                string  `json:"note"`
}

// Notice is the sentence every output format carries.
const Notice = "Figures are slightly perturbed to protect individuals: each count may differ from the truth " +
	"by up to 2 (counts under 5 by more); the same group of people always gets the same figure; " +
	"groups under min_cell_size learners are not shown."

// comment is the disclosure control as one line of text without commas or
// quotes (one CSV cell as it is), for the CSV file's header comment.
func (d Disclosure) comment(from, to string) string {
	period := ""
	if from != "" || to != "" {
		period = " period=" + from + ".." + to + ";"
	}
	return fmt.Sprintf("# disclosure_control: method=%s; key_range=%d; max_noise=%d; variance=%g; "+
		"small_count_threshold=%d; min_cell_size=%d; date_precision=%s;%s %s",
		d.Method, d.KeyRange, d.MaxNoise, d.Variance, d.SmallCountThreshold, d.MinCellSize, d.DatePrecision, period, d.Note)
}

func disclosure(k int) Disclosure {
	return Disclosure{Method: Method, KeyRange: KeyRange, MaxNoise: MaxNoise, Variance: Variance,
		SmallCountThreshold: SmallCountThreshold, MinCellSize: k, DatePrecision: "month", Note: Notice}
}

// genderParity returns female ÷ male for learners and completions over the
// filtered population, from the published (perturbed) counts of its rows
// grouped by gender alone. A ratio is null when male is zero or when either
// gender's cell is under k learners, since the ratio and one shown count
// would reveal the other.
func genderParity(byGender []Row, k int) Parity {
	var female, male *Counts
	for _, r := range byGender {
		c := perturb(r.Counts, r.Keys)
		switch *r.Values[0] {
		case "female":
			female = &c
		case "male":
			male = &c
		}
	}
	if male == nil || male.Learners < int64(k) || (female != nil && female.Learners < int64(k)) {
		return Parity{}
	}
	if female == nil { // no women at all: a true zero, not a small cell
		female = &Counts{}
	}
	return Parity{Learners: ratio(female.Learners, male.Learners),
		Completions: ratio(female.Completions, male.Completions)}
}

func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := math.Round(float64(a)/float64(b)*10000) / 10000
	return &r
}
