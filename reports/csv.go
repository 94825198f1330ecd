package reports

import (
	"io"
	"strconv"
	"strings"

	"github.com/cybercampus/cybercampus/internal/spreadsheet"
)

// csvMeasures are the columns after the dimensions.
var csvMeasures = []string{"learners", "enrollments", "completions", "certificates", "completion_rate", "suppressed"}

// WriteCSV writes the report as a spreadsheet-safe CSV: a first line
// starting with # that states the disclosure control (a comment to CSV
// readers that take one, such as pandas' comment="#"; padded with empty
// cells to the header's width so that readers without comments still see
// rows of one width), then one column per dimension and the measures;
// suppressed totals are empty cells. A report without dimensions is its
// totals, in one row.
func WriteCSV(w io.Writer, r *Report) error {
	cw, err := spreadsheet.NewWriter(w)
	if err != nil {
		return err
	}
	width := len(r.GroupBy) + len(csvMeasures)
	if _, err := io.WriteString(w, r.DisclosureControl.comment(r.From, r.To)+strings.Repeat(",", width-1)+"\r\n"); err != nil {
		return err
	}
	if err := cw.Write(append(append([]string{}, r.GroupBy...), csvMeasures...)); err != nil {
		return err
	}
	if len(r.GroupBy) == 0 {
		if err := cw.Write(csvCounts(nil, r.Totals.Counts, r.Totals.Suppressed)); err != nil {
			return err
		}
		return cw.Flush()
	}
	for _, row := range r.Rows {
		var vals []string
		for _, v := range row.Values {
			if v == nil {
				vals = append(vals, "")
			} else {
				vals = append(vals, *v)
			}
		}
		if err := cw.Write(csvCounts(vals, row.Counts, row.Suppressed)); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func csvCounts(rec []string, c Counts, suppressed bool) []string {
	if suppressed {
		return append(rec, "", "", "", "", "", "true")
	}
	rate := ""
	if r := c.rate(); r != nil {
		rate = strconv.FormatFloat(*r, 'f', -1, 64)
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	return append(rec, n(c.Learners), n(c.Enrollments), n(c.Completions), n(c.Certificates), rate, "false")
}

// csvRows is how many data rows WriteCSV writes for r.
func csvRows(r *Report) int {
	if len(r.GroupBy) == 0 {
		return 1
	}
	return len(r.Rows)
}

func joinDims(dims []string) string { return strings.Join(dims, ",") }
