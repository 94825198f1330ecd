// Package spreadsheet writes CSV files meant to be opened in spreadsheet
// programs: UTF-8 with a byte order mark (so Excel reads accents right), RFC 4180
// quoting with CRLF line ends, and cells that cannot run as formulas.
package spreadsheet

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
)

// ContentType is the media type of the files this package writes.
const ContentType = "text/csv; charset=utf-8"

// bom is the UTF-8 byte order mark.
const bom = "\uFEFF"

// Writer writes safe CSV records.
type Writer struct {
	csv  *csv.Writer
	cell []string
}

// NewWriter writes the byte order mark to w and returns a writer of records.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, bom); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{csv: cw}, nil
}

// Write writes one record, neutralising cells a spreadsheet would evaluate.
func (w *Writer) Write(record []string) error {
	w.cell = w.cell[:0]
	for _, v := range record {
		w.cell = append(w.cell, Safe(v))
	}
	return w.csv.Write(w.cell)
}

// Flush writes buffered records and returns the first write error, if any.
func (w *Writer) Flush() error {
	w.csv.Flush()
	return w.csv.Error()
}

// Safe returns v with a leading single quote when v starts with a character a
// spreadsheet treats as the start of a formula (=, +, -, @, tab, carriage
// return), so that data from users can never run as a formula (CSV injection).
// A negative decimal number ("-20", "-0.5") is left as it is: it is a value,
// not a formula, and a quote would turn it into text.
func Safe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !negativeDecimal.MatchString(v) {
		return "'" + v
	}
	return v
}

// negativeDecimal matches a minus sign followed by digits with at most one
// decimal point between them, and nothing else.
var negativeDecimal = regexp.MustCompile(`^-[0-9]+(\.[0-9]+)?$`)
