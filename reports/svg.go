package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Measures a chart may draw.
var Measures = []string{"learners", "enrollments", "completions", "certificates", "completion_rate"}

// palette is Okabe–Ito, distinguishable with the common colour-vision deficiencies.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// valueKind is what a chart's numbers are, for their format and axis.
type valueKind int

const (
	kindCount  valueKind = iota
	kindShare            // 0 to 1, written as a percentage
	kindScore            // a mean test score, 0 to 100
	kindRating           // a mean satisfaction rating, 1 to 5
	kindGain             // a mean score gain, possibly negative
)

// chart is a report arranged as grouped bars, with every visible and
// accessible text in one language: one group per category, one bar per series.
type chart struct {
	t                           texts
	lang                        string
	kind                        valueKind
	title, desc, xLabel, yLabel string
	notice, hatchedLegend       string // the disclosure note; what a hatched bar means
	hatchedText                 string // a hatched bar's value in words
	categories, series          []string
	cells                       map[[2]int]bar
	min, max                    float64
	values                      []string // "label: value" for the text alternative
}

type bar struct {
	value  float64
	hidden bool // suppressed, or a figure not published: drawn hatched, never as zero
	label  string
}

const (
	chartTop    = 56
	plotHeight  = 240
	chartLeft   = 72
	chartRight  = 24
	barWidth    = 18
	groupGap    = 14
	xLabelSpace = 96
)

func newChart(lang string, kind valueKind) *chart {
	t := textsFor(lang)
	return &chart{t: t, lang: lang, kind: kind, cells: map[[2]int]bar{},
		notice: t.get("chart.notice"), hatchedLegend: t.get("chart.legend_suppressed"), hatchedText: t.get("suppressed")}
}

// WriteSVG draws the report's measure as an accessible SVG chart in lang
// (one of cc.Languages) with no external assets: role="img" labelled by its
// <title> and <desc> (the desc lists every value, as a text alternative),
// axis labels, an Okabe–Ito palette, suppressed totals drawn hatched and
// labelled, never as zero, and the notice that the figures are perturbed.
func WriteSVG(w io.Writer, r *Report, measure, lang string) error {
	c := newChart(lang, kindCount)
	if measure == "completion_rate" {
		c.kind = kindShare
	}
	c.titles(measure, r.GroupBy, 1)
	rows := r.Rows
	if len(r.GroupBy) == 0 {
		rows = []Row{{Counts: r.Totals.Counts, Suppressed: r.Totals.Suppressed}}
	}
	for _, row := range rows {
		cat, ser := c.t.get("chart.all"), ""
		if len(r.GroupBy) > 0 {
			cat, ser = c.t.value(r.GroupBy[0], row.Values[0]), c.labels(r.GroupBy[1:], row.Values[1:], " · ")
		}
		var v *float64
		if !row.Suppressed {
			x := measureValue(row.Counts, measure)
			v = &x
		}
		c.add(cat, ser, v)
	}
	return c.write(w)
}

// titles sets the title and axis labels of a chart of measure by dims, the
// first xDims of which are along the x axis.
func (c *chart) titles(measure string, dims []string, xDims int) {
	c.yLabel = capital(c.t.get("measure." + measure))
	c.title = c.yLabel
	if len(dims) > 0 {
		c.title = c.t.get("chart.by", "measure", c.yLabel, "dims", c.dimNames(dims))
		c.xLabel = capital(c.dimNames(dims[:min(xDims, len(dims))]))
	}
}

func (c *chart) dimNames(dims []string) string {
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = c.t.get("dim." + d)
	}
	return strings.Join(names, c.t.get("chart.list_sep"))
}

// labels names a row's values of dims in words, joined by sep.
func (c *chart) labels(dims []string, values []*string, sep string) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = c.t.value(d, values[i])
	}
	return strings.Join(parts, sep)
}

// add records the bar of series ser in category cat; a nil value is drawn hatched.
func (c *chart) add(cat, ser string, v *float64) {
	ci, si := index(&c.categories, cat), index(&c.series, ser)
	label := cat
	if ser != "" {
		label += c.t.get("chart.list_sep") + ser
	}
	b, text := bar{hidden: v == nil, label: label}, c.hatchedText
	if v != nil {
		b.value, text = *v, c.format(*v)
		c.min, c.max = math.Min(c.min, *v), math.Max(c.max, *v)
	}
	c.cells[[2]int{ci, si}] = b
	c.values = append(c.values, c.t.get("chart.item", "label", label, "value", text))
}

// index returns the position of s in *list, appending it if new.
func index(list *[]string, s string) int {
	for i, x := range *list {
		if x == s {
			return i
		}
	}
	*list = append(*list, s)
	return len(*list) - 1
}

func measureValue(c Counts, m string) float64 {
	switch m {
	case "enrollments":
		return float64(c.Enrollments)
	case "completions":
		return float64(c.Completions)
	case "certificates":
		return float64(c.Certificates)
	case "completion_rate":
		if r := c.rate(); r != nil {
			return *r
		}
		return 0
	}
	return float64(c.Learners)
}

// format writes v in the chart's language, as the dashboard's tables do.
func (c *chart) format(v float64) string {
	switch c.kind {
	case kindShare:
		return formatPercent(c.lang, v)
	case kindScore, kindRating:
		return formatNumber(c.lang, v, 0, 2, false)
	case kindGain:
		return formatNumber(c.lang, v, 0, 2, true)
	}
	return formatNumber(c.lang, v, 0, 0, false)
}

// scale returns the bottom and top of the y axis and the tick step: the
// whole scale of shares, scores and ratings, else round steps around the data.
func (c *chart) scale() (lo, hi, step float64) {
	switch c.kind {
	case kindShare:
		return 0, 1, 0.25
	case kindScore:
		return 0, 100, 20
	case kindRating:
		return 0, 5, 1
	}
	lo, hi = math.Min(c.min, 0), math.Max(c.max, 0)
	if hi-lo <= 0 {
		return 0, 1, 1
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	step = math.Max(step, 1)
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

func (c *chart) y(v float64) float64 {
	lo, hi, _ := c.scale()
	return chartTop + plotHeight - (v-lo)/(hi-lo)*plotHeight
}

// write draws the chart.
func (c *chart) write(w io.Writer) error {
	c.desc = c.t.get("chart.desc", "title", c.title, "notice", c.notice,
		"values", strings.Join(c.values, c.t.get("chart.item_sep")))
	if len(c.categories) == 0 {
		c.desc = c.t.get("chart.no_data")
	}
	groupW := len(c.series)*barWidth + groupGap
	width := max(chartLeft+len(c.categories)*groupW+chartRight, 560)
	notice := wrap(c.notice, (width-chartLeft-chartRight)/6)
	legendRows := 1 + (len(c.series)+3)/4 + len(notice) // the series, the hatched sign and the perturbation notice
	height := chartTop + plotHeight + xLabelSpace + legendRows*20 + 16
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12" xml:lang="%s">`,
		width, height, width, height, esc(c.lang))
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, esc(c.title), esc(c.desc))
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555555" stroke-width="2"/></pattern></defs>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`, width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`, chartLeft, esc(c.title))
	if len(c.categories) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text></svg>`, chartLeft, chartTop+plotHeight/2, esc(c.desc))
		_, err := w.Write(b.Bytes())
		return err
	}
	c.axes(&b, width)
	c.bars(&b, groupW)
	c.legend(&b, height-legendRows*20-8, notice)
	b.WriteString(`</svg>`)
	_, err := w.Write(b.Bytes())
	return err
}

func (c *chart) axes(b *bytes.Buffer, width int) {
	lo, hi, step := c.scale()
	b.WriteString(`<g aria-hidden="true">`)
	for v := lo; v <= hi+step/2; v += step {
		y := c.y(v)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dddddd"/>`, chartLeft, width-chartRight, y, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(c.format(v)))
	}
	bottom := chartTop + plotHeight
	zero := c.y(0)
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#333333"/>`, chartLeft, width-chartRight, zero, zero)
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333333"/>`, chartLeft, chartLeft, chartTop, bottom)
	b.WriteString(`</g>`)
	fmt.Fprintf(b, `<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)" class="axis-label">%s</text>`,
		chartTop+plotHeight/2, chartTop+plotHeight/2, esc(c.yLabel))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" class="axis-label">%s</text>`,
		(chartLeft+width-chartRight)/2, bottom+xLabelSpace-8, esc(c.xLabel))
}

func (c *chart) bars(b *bytes.Buffer, groupW int) {
	bottom, zero := float64(chartTop+plotHeight), c.y(0)
	for ci, cat := range c.categories {
		x0 := chartLeft + ci*groupW + groupGap/2
		for si := range c.series {
			bb, ok := c.cells[[2]int{ci, si}]
			if !ok {
				continue
			}
			x := x0 + si*barWidth
			if bb.hidden {
				fmt.Fprintf(b, `<g class="hatched"><title>%s</title><rect x="%d" y="%.1f" width="%d" height="24" fill="url(#hatch)" stroke="#555555" stroke-dasharray="3 2"/><text x="%d" y="%.1f" text-anchor="middle" font-size="10">–</text></g>`,
					esc(c.t.get("chart.item", "label", bb.label, "value", c.hatchedText)), x+1, zero-24, barWidth-2, x+barWidth/2, zero-28)
				continue
			}
			y := c.y(bb.value)
			fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x+1, math.Min(y, zero), barWidth-2, math.Abs(zero-y), palette[si%len(palette)],
				esc(c.t.get("chart.item", "label", bb.label, "value", c.format(bb.value))))
		}
		cx := x0 + len(c.series)*barWidth/2
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" transform="rotate(-40 %d %.1f)">%s</text>`,
			cx, bottom+16, cx, bottom+16, esc(truncate(cat, 24)))
	}
}

func (c *chart) legend(b *bytes.Buffer, y int, notice []string) {
	b.WriteString(`<g class="legend">`)
	x := chartLeft
	for i, s := range c.series {
		if s == "" {
			continue
		}
		if i > 0 && i%4 == 0 {
			x, y = chartLeft, y+20
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`,
			x, y, palette[i%len(palette)], x+16, y+10, esc(truncate(s, 28)))
		x += 180
	}
	y += 20
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="url(#hatch)" stroke="#555555"/><text x="%d" y="%d">%s</text>`,
		chartLeft, y, chartLeft+16, y+10, esc(c.hatchedLegend))
	for _, line := range notice {
		y += 20
		fmt.Fprintf(b, `<text class="disclosure" x="%d" y="%d" font-size="11">%s</text>`, chartLeft, y+10, esc(line))
	}
	b.WriteString(`</g>`)
}

// wrap breaks s into lines of at most width units, a unit being about the
// width of a Latin letter (a Chinese character takes two), at spaces where
// the language has them: SVG text does not wrap by itself.
func wrap(s string, width int) []string {
	var lines []string
	var line []rune
	units, lastSpace := 0, -1
	for _, r := range s {
		w := 1
		if r >= 0x2E80 {
			w = 2
		}
		if units+w > width && len(line) > 0 {
			cut := len(line)
			if lastSpace > 0 {
				cut = lastSpace
			}
			lines = append(lines, strings.TrimSpace(string(line[:cut])))
			line = append([]rune{}, line[cut:]...)
			units, lastSpace = runeUnits(line), -1
		}
		if r == ' ' {
			lastSpace = len(line)
		}
		line = append(line, r)
		units += w
	}
	return append(lines, strings.TrimSpace(string(line)))
}

func runeUnits(rs []rune) int {
	n := 0
	for _, r := range rs {
		n++
		if r >= 0x2E80 {
			n++
		}
	}
	return n
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
