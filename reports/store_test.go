package reports

import (
	"slices"
	"testing"
)

func TestSortRows(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		dims []string
		rows [][]*string // in the order given
		want []int       // the rows' positions after sorting
	}{
		{"values by their bytes, a prefix first", []string{"country"},
			[][]*string{{str("KEN")}, {str("é")}, {str("KE")}, {str("K")}, {str("")}, {str("Ké")}, {str("Z")}, {str("a")}},
			[]int{4, 3, 2, 0, 5, 6, 7, 1}},
		{"age bands youngest first, an unknown band before them", []string{"age_band"},
			[][]*string{{str("65_plus")}, {str("15_24")}, {str("unknown")}, {str("under_15")}, {str("35_44")}},
			[]int{2, 3, 1, 4, 0}},
		{"no cohort last", []string{"cohort"},
			[][]*string{{nil}, {str("ffff")}, {str("0f0c")}},
			[]int{2, 1, 0}},
		{"by the first dimension, then the next", []string{"age_band", "country"},
			[][]*string{{str("25_34"), str("UG")}, {str("15_24"), nil}, {str("25_34"), str("KE")}, {str("15_24"), str("UG")}},
			[]int{3, 1, 2, 0}},
		{"equal rows keep their order, equal values at two addresses included", []string{"country", "month"},
			[][]*string{{str("KE"), str("2024-05")}, {str("FJ"), str("2024-05")}, {str("KE"), str("2024-05")}, {str("KE"), str("2024-04")}},
			[]int{1, 3, 0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := make([]Row, len(tt.rows))
			for i, v := range tt.rows {
				rows[i] = Row{dims: tt.dims, Values: v, Counts: Counts{Learners: int64(i)}}
			}
			sortRows(rows)
			var got []int
			for _, r := range rows {
				got = append(got, int(r.Counts.Learners))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("sorted into %v, want %v", got, tt.want)
			}
		})
	}
}
