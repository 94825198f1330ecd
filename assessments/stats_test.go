package assessments

import "testing"

// The attempts below and the figures expected from them are computed by hand
// in the comments: facility is the share right, discrimination Pearson's r
// between the item (0/1) and the share right of the attempt's other items.
func TestItemStatisticsByHand(t *testing.T) {
	attempts := []response{
		{{"A", true}, {"B", true}, {"C", true}, {"D", true}},
		{{"A", true}, {"B", false}, {"C", true}, {"D", true}},
		{{"A", false}, {"B", false}, {"C", true}, {"D", true}},
		{{"A", false}, {"B", true}, {"C", false}, {"D", true}},
		{{"B", true}}, // an attempt without A or C (another draw): counts for B only
	}
	tests := []struct {
		item            string
		min             int
		responses       int
		facility, discr *float64
		reason          bool
	}{
		// A: x = 1,1,0,0; rest (B,C,D) = 1, 2/3, 2/3, 2/3; r = (1/6)/sqrt(1 * 1/12) = 0.577
		{item: "A", min: 4, responses: 4, facility: ptr(0.5), discr: ptr(0.577)},
		// C: x = 1,1,1,0; rest (A,B,D) = 1, 2/3, 1/3, 2/3; deviations of rest: 1/3, 0, -1/3, 0
		// and of x: 1/4, 1/4, 1/4, -3/4, so the products sum to 0: r = 0.
		{item: "C", min: 4, responses: 4, facility: ptr(0.75), discr: ptr(0.0)},
		// D is always right: no variation, so no discrimination.
		{item: "D", min: 4, responses: 4, facility: ptr(1.0), reason: true},
		// B: five responses, the last without a rest of the test; 3 of 5 right.
		// Pairs: (1, 1), (0, 1), (0, 2/3), (1, 1/3): mean x 1/2, mean rest 3/4;
		// sum of products (1/2)(1/4) + (-1/2)(1/4) + (-1/2)(-1/12) + (1/2)(-5/12) = -1/6;
		// sum of squares 1 and 1/16+1/16+1/144+25/144 = 11/36: r = -(1/6)/sqrt(11/36) = -0.302
		{item: "B", min: 5, responses: 5, facility: ptr(0.6), discr: ptr(-0.302)},
		{item: "A", min: 5, responses: 4, reason: true}, // too few responses
	}
	for _, tt := range tests {
		st := ItemStat{Key: tt.item}
		computeStats(&st, attempts, tt.min)
		if st.Responses != tt.responses || !same(st.Facility, tt.facility) || !same(st.Discrimination, tt.discr) || (st.Reason != nil) != tt.reason {
			t.Errorf("%s (min %d): responses %d facility %v discrimination %v reason %v; want %d %v %v reason %v", tt.item, tt.min,
				st.Responses, show(st.Facility), show(st.Discrimination), show(st.Reason), tt.responses, show(tt.facility), show(tt.discr), tt.reason)
		}
	}
}

func same(a, b *float64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func show[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
