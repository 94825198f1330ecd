package certification

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/go-pdf/fpdf"
)

// Sheet is a printable A4 portrait PDF that draws text with the certificate's
// fonts and script handling (Latin, Greek, Cyrillic, Arabic right to left,
// Chinese, Japanese, Korean, Devanagari), for other printables such as
// pupils' sign-in cards.
type Sheet struct {
	p   *certPDF
	qrs int
}

// NewSheet starts a sheet with a document title.
func NewSheet(title string) *Sheet {
	p := &certPDF{Fpdf: fpdf.New("P", "mm", "A4", ""), loaded: map[string]bool{}}
	p.SetCompression(true)
	p.SetTitle(title, true)
	p.SetAuthor(IssuerName, true)
	p.SetCreator(IssuerName, true)
	p.SetAutoPageBreak(false, 0)
	return &Sheet{p: p}
}

// AddPage starts a new page.
func (s *Sheet) AddPage() { s.p.AddPage() }

// Text draws one line from (x, y) on the baseline, each script run in its
// font, shrinking the size until it fits width.
func (s *Sheet) Text(x, y, size, width float64, bold bool, text string) {
	runs := visualRuns(text)
	w := s.p.measure(runs, size, bold)
	for w > width && size > 6 {
		size--
		w = s.p.measure(runs, size, bold)
	}
	s.p.color(0x1b1f23)
	for _, r := range runs {
		s.p.font(r.script, size, bold)
		s.p.Text(x, y, r.text)
		x += s.p.GetStringWidth(r.text)
	}
}

// Box draws a dashed cutting frame.
func (s *Sheet) Box(x, y, w, h float64) {
	s.p.SetDrawColor(0x88, 0x88, 0x88)
	s.p.SetLineWidth(0.3)
	s.p.SetDashPattern([]float64{2, 1.5}, 0)
	s.p.Rect(x, y, w, h, "D")
	s.p.SetDashPattern(nil, 0)
}

// QR draws a QR code of url, size millimetres square, linked to url.
func (s *Sheet) QR(x, y, size float64, url string) error {
	s.qrs++
	return s.p.qrAt("qr-"+strconv.Itoa(s.qrs), url, x, y, size)
}

// Bytes finishes the document.
func (s *Sheet) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := s.p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render PDF: %w", err)
	}
	return buf.Bytes(), nil
}
