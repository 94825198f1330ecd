package certification

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// fonts are TrueType (glyf) fonts, the only kind fpdf embeds: Noto Sans for
// Latin, Greek and Cyrillic, Noto Naskh Arabic (with the presentation forms
// our shaper produces), Droid Sans Fallback for Chinese, Japanese and Korean,
// Noto Sans Devanagari, and DejaVu Sans for Hebrew and as the fallback for
// characters the others lack (Armenian, Georgian, many symbols). Licences are
// next to them in fonts/.
//
//go:embed fonts/*.ttf
var fonts embed.FS

// fontFiles maps each script to the font family and file that draws it.
var fontFiles = map[script]struct{ family, file string }{
	scriptLatin:      {"sans", "fonts/NotoSans-Regular.ttf"},
	scriptArabic:     {"arabic", "fonts/NotoNaskhArabic-Regular.ttf"},
	scriptCJK:        {"cjk", "fonts/DroidSansFallbackFull.ttf"},
	scriptDevanagari: {"deva", "fonts/NotoSansDevanagari-Regular.ttf"},
	scriptHebrew:     {"dejavu", "fonts/DejaVuSans.ttf"},
	scriptFallback:   {"dejavu", "fonts/DejaVuSans.ttf"},
}

// page geometry, in millimetres (A4 landscape).
const (
	pageW, pageH = 297.0, 210.0
	textWidth    = 240.0
	qrSize       = 34.0
)

// certPDF draws one certificate, loading each font only when a text needs it.
type certPDF struct {
	*fpdf.Fpdf
	loaded map[string]bool
}

// RenderPDF renders the printable certificate in lang (one of the six
// languages; others fall back to English): learner, course, date, issuer and
// a QR code of the verify URL, with fonts chosen per script.
func RenderPDF(r Record, lang string) ([]byte, error) {
	p := &certPDF{Fpdf: fpdf.New("L", "mm", "A4", ""), loaded: map[string]bool{}}
	p.SetCompression(true)
	p.SetTitle(metadataText(text(lang, "page.title", "course", r.CourseTitle, "issuer", IssuerName)), true)
	p.SetAuthor(IssuerName, true)
	p.SetCreator(IssuerName, true)
	p.SetCreationDate(r.IssuedAt)
	p.SetModificationDate(r.IssuedAt)
	p.SetAutoPageBreak(false, 0)
	p.AddPage()
	p.frame()
	p.centered(IssuerName, 34, 16, true, 0x1d4e89)
	p.centered(text(lang, "pdf.heading"), 56, 30, true, 0x1b1f23)
	p.centered(text(lang, "pdf.certifies"), 78, 14, false, 0x444444)
	p.centered(r.LearnerName, 96, 28, true, 0x1b1f23)
	p.centered(text(lang, "pdf.completed"), 114, 14, false, 0x444444)
	p.centered(r.CourseTitle, 130, 20, true, 0x1d4e89)
	p.centered(text(lang, "pdf.issued", "date", formatDate(lang, r.IssuedAt), "issuer", IssuerName), 148, 12, false, 0x444444)
	if r.Revoked {
		p.centered(text(lang, "pdf.revoked"), 160, 14, true, 0xa50e0e)
	}
	if err := p.qr(r.VerifyURL); err != nil {
		return nil, err
	}
	p.footer(r, lang)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render certificate PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// metadataText makes s safe for the PDF library's document information, whose
// UTF-16 conversion reads past the end of invalid UTF-8 and garbles characters
// beyond the Basic Multilingual Plane: both become U+FFFD.
func metadataText(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return unicode.ReplacementChar
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func (p *certPDF) color(rgb int) { p.SetTextColor(rgb>>16, rgb>>8&0xff, rgb&0xff) }

func (p *certPDF) frame() {
	p.SetDrawColor(0x1d, 0x4e, 0x89)
	p.SetLineWidth(1.2)
	p.Rect(10, 10, pageW-20, pageH-20, "D")
	p.SetLineWidth(0.4)
	p.Rect(14, 14, pageW-28, pageH-28, "D")
}

// font selects the font of a script (bold exists for Latin only).
func (p *certPDF) font(sc script, size float64, bold bool) {
	f := fontFiles[sc]
	style := ""
	if bold && sc == scriptLatin {
		style, f.file = "B", "fonts/NotoSans-Bold.ttf"
	}
	key := f.family + style
	if !p.loaded[key] {
		b, _ := fonts.ReadFile(f.file)
		p.AddUTF8FontFromBytes(f.family, style, b)
		p.loaded[key] = true
	}
	p.SetFont(f.family, style, size)
}

// centered draws one line centred on the page, shrinking the size until the
// line fits the text width; each script run is drawn in its own font.
func (p *certPDF) centered(s string, y, size float64, bold bool, rgb int) {
	runs := visualRuns(s)
	width := p.measure(runs, size, bold)
	for width > textWidth && size > 8 {
		size--
		width = p.measure(runs, size, bold)
	}
	p.color(rgb)
	x := (pageW - width) / 2
	for _, r := range runs {
		p.font(r.script, size, bold)
		p.Text(x, y, r.text)
		x += p.GetStringWidth(r.text)
	}
}

func (p *certPDF) measure(runs []run, size float64, bold bool) float64 {
	w := 0.0
	for _, r := range runs {
		p.font(r.script, size, bold)
		w += p.GetStringWidth(r.text)
	}
	return w
}

func (p *certPDF) qr(url string) error {
	return p.qrAt("verify-qr", url, pageW-24-qrSize, pageH-24-qrSize, qrSize)
}

// qrAt draws a QR code of url, linked to it, as the image called name.
func (p *certPDF) qrAt(name, url string, x, y, size float64) error {
	png, err := qrcode.Encode(url, qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	p.RegisterImageOptionsReader(name, opt, bytes.NewReader(png))
	p.ImageOptions(name, x, y, size, size, false, opt, 0, url)
	return nil
}

func (p *certPDF) footer(r Record, lang string) {
	p.color(0x444444)
	p.runs(24, pageH-34, text(lang, "pdf.verify"), 9)
	p.font(scriptLatin, 9, false)
	p.Text(24, pageH-29, r.VerifyURL)
	p.LinkString(24, pageH-32, p.GetStringWidth(r.VerifyURL), 4, r.VerifyURL)
	p.runs(24, pageH-24, text(lang, "pdf.id", "id", r.ID), 9)
}

// runs draws a line from x, each script run in its own font.
func (p *certPDF) runs(x, y float64, s string, size float64) {
	for _, r := range visualRuns(s) {
		p.font(r.script, size, false)
		p.Text(x, y, r.text)
		x += p.GetStringWidth(r.text)
	}
}
