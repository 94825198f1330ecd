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

// RenderPDF renders the printable certificate: learner, course, date, issuer
// and a QR code of the verify URL, with fonts chosen per script.
func RenderPDF(r Record) ([]byte, error) {
	p := &certPDF{Fpdf: fpdf.New("L", "mm", "A4", ""), loaded: map[string]bool{}}
	p.SetCompression(true)
	p.SetTitle(metadataText("Certificate: "+r.CourseTitle), true)
	p.SetAuthor(IssuerName, true)
	p.SetCreator(IssuerName, true)
	p.SetCreationDate(r.IssuedAt)
	p.SetModificationDate(r.IssuedAt)
	p.SetAutoPageBreak(false, 0)
	p.AddPage()
	p.frame()
	p.centered(IssuerName, 34, 16, true, 0x1d4e89)
	p.centered("Certificate of Completion", 56, 30, true, 0x1b1f23)
	p.centered("This certifies that", 78, 14, false, 0x444444)
	p.centered(r.LearnerName, 96, 28, true, 0x1b1f23)
	p.centered("has successfully completed the course", 114, 14, false, 0x444444)
	p.centered(r.CourseTitle, 130, 20, true, 0x1d4e89)
	p.centered(fmt.Sprintf("Issued on %s by %s", r.IssuedAt.Format("2 January 2006"), IssuerName), 148, 12, false, 0x444444)
	if r.Revoked {
		p.centered("REVOKED: this certificate is no longer valid", 160, 14, true, 0xa50e0e)
	}
	if err := p.qr(r.VerifyURL); err != nil {
		return nil, err
	}
	p.footer(r)
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

func (p *certPDF) footer(r Record) {
	p.color(0x444444)
	p.font(scriptLatin, 9, false)
	p.Text(24, pageH-34, "Verify this certificate at:")
	p.Text(24, pageH-29, r.VerifyURL)
	p.Text(24, pageH-24, "Certificate ID: "+r.ID)
	p.LinkString(24, pageH-32, p.GetStringWidth(r.VerifyURL), 4, r.VerifyURL)
}
