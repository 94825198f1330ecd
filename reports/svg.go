package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Measures a chart may draw.
var Measures = []string{"learners", "enrollments", "completions", "certificates", "completion_rate"}

// palette is Okabe–Ito, distinguishable with the common colour-vision deficiencies.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// chart is a report arranged as grouped bars: one group per value of the
// first dimension, one bar per combination of the others.
type chart struct {
	title, desc, xLabel, yLabel string
	categories, series          []string
	cells                       map[[2]int]bar
	max                         float64
	percent                     bool
}

type bar struct {
	value      float64
	suppressed bool
	label      string
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

// WriteSVG draws the report's measure as an accessible SVG chart with no
// external assets: role="img" labelled by its <title> and <desc> (the desc
// lists every value, as a text alternative), axis labels, an Okabe–Ito
// palette, suppressed totals drawn hatched and labelled, never as zero, and
// the notice that the figures are perturbed.
func WriteSVG(w io.Writer, r *Report, measure string) error {
	c := arrange(r, measure)
	groupW := len(c.series)*barWidth + groupGap
	width := max(chartLeft+len(c.categories)*groupW+chartRight, 560)
	legendRows := 2 + (len(c.series)+3)/4 // the series, the suppressed sign and the perturbation notice
	height := chartTop + plotHeight + xLabelSpace + legendRows*20 + 16
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12">`, width, height, width, height)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, esc(c.title), esc(c.desc))
	b.WriteString(`<defs><pattern id="suppressed-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555555" stroke-width="2"/></pattern></defs>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`, width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`, chartLeft, esc(c.title))
	if len(c.categories) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d">No enrollments match this selection.</text></svg>`, chartLeft, chartTop+plotHeight/2)
		_, err := w.Write(b.Bytes())
		return err
	}
	c.axes(&b, width)
	c.bars(&b, groupW)
	c.legend(&b, height-legendRows*20-8)
	b.WriteString(`</svg>`)
	_, err := w.Write(b.Bytes())
	return err
}

// arrange turns report rows into categories, series and bars.
func arrange(r *Report, measure string) chart {
	c := chart{cells: map[[2]int]bar{}, yLabel: measureLabel(measure), percent: measure == "completion_rate"}
	c.title = measureLabel(measure)
	if len(r.GroupBy) > 0 {
		c.title += " by " + strings.ReplaceAll(strings.Join(r.GroupBy, ", "), "_", " ")
		c.xLabel = strings.ReplaceAll(r.GroupBy[0], "_", " ")
	}
	rows := r.Rows
	if len(r.GroupBy) == 0 {
		rows = []Row{{Counts: r.Totals.Counts, Suppressed: r.Totals.Suppressed}}
	}
	catIdx, serIdx := map[string]int{}, map[string]int{}
	var desc []string
	for _, row := range rows {
		cat, ser := "All learners", ""
		if len(r.GroupBy) > 0 {
			cat = valueLabel(r.GroupBy[0], row.Values[0])
			var parts []string
			for i := 1; i < len(r.GroupBy); i++ {
				parts = append(parts, valueLabel(r.GroupBy[i], row.Values[i]))
			}
			ser = strings.Join(parts, " · ")
		}
		ci, ok := catIdx[cat]
		if !ok {
			ci = len(c.categories)
			catIdx[cat] = ci
			c.categories = append(c.categories, cat)
		}
		si, ok := serIdx[ser]
		if !ok {
			si = len(c.series)
			serIdx[ser] = si
			c.series = append(c.series, ser)
		}
		bb := bar{suppressed: row.Suppressed, label: strings.TrimSuffix(cat+", "+ser, ", ")}
		text := "suppressed"
		if !row.Suppressed {
			bb.value = measureValue(row.Counts, measure)
			c.max = math.Max(c.max, bb.value)
			text = c.format(bb.value)
		}
		c.cells[[2]int{ci, si}] = bb
		desc = append(desc, bb.label+": "+text)
	}
	c.desc = fmt.Sprintf("Bar chart of %s. %s Values: %s.",
		strings.ToLower(c.title), Notice, strings.Join(desc, "; "))
	if len(rows) == 0 {
		c.desc = "No enrollments match this selection."
	}
	return c
}

func measureLabel(m string) string {
	switch m {
	case "completion_rate":
		return "Completion rate"
	case "":
		return "Learners"
	}
	return strings.ToUpper(m[:1]) + m[1:]
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

func valueLabel(dim string, v *string) string {
	switch {
	case v == nil && dim == "cohort":
		return "no cohort"
	case v == nil:
		return "unknown"
	case flag(dim) && *v == "true":
		return strings.ToUpper(dim)
	case flag(dim):
		return "not " + strings.ToUpper(dim)
	case dim == "disability":
		// A bar labelled "yes" among other dimensions' values says nothing.
		return disabilityLabels[*v]
	case dim == "education_level" && *v == "not_stated":
		return "education level not stated"
	}
	return *v
}

// disabilityLabels name the disability statuses in a chart.
var disabilityLabels = map[string]string{"yes": "with disability", "no": "without disability", "not_stated": "disability not stated"}

func (c chart) format(v float64) string {
	if c.percent {
		return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// scale returns the top of the y axis and the tick step.
func (c chart) scale() (top, step float64) {
	if c.percent {
		return 1, 0.25
	}
	if c.max <= 0 {
		return 1, 1
	}
	raw := c.max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	step = math.Max(step, 1)
	return math.Ceil(c.max/step) * step, step
}

func (c chart) y(v, top float64) float64 { return chartTop + plotHeight - v/top*plotHeight }

func (c chart) axes(b *bytes.Buffer, width int) {
	top, step := c.scale()
	b.WriteString(`<g aria-hidden="true">`)
	for v := 0.0; v <= top+step/2; v += step {
		y := c.y(v, top)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dddddd"/>`, chartLeft, width-chartRight, y, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(c.format(v)))
	}
	bottom := chartTop + plotHeight
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333333"/>`, chartLeft, width-chartRight, bottom, bottom)
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333333"/>`, chartLeft, chartLeft, chartTop, bottom)
	b.WriteString(`</g>`)
	fmt.Fprintf(b, `<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)" class="axis-label">%s</text>`,
		chartTop+plotHeight/2, chartTop+plotHeight/2, esc(c.yLabel))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" class="axis-label">%s</text>`,
		(chartLeft+width-chartRight)/2, bottom+xLabelSpace-8, esc(c.xLabel))
}

func (c chart) bars(b *bytes.Buffer, groupW int) {
	top, _ := c.scale()
	bottom := float64(chartTop + plotHeight)
	for ci, cat := range c.categories {
		x0 := chartLeft + ci*groupW + groupGap/2
		for si := range c.series {
			bb, ok := c.cells[[2]int{ci, si}]
			if !ok {
				continue
			}
			x := x0 + si*barWidth
			if bb.suppressed {
				fmt.Fprintf(b, `<g class="suppressed"><title>%s: suppressed</title><rect x="%d" y="%.1f" width="%d" height="24" fill="url(#suppressed-hatch)" stroke="#555555" stroke-dasharray="3 2"/><text x="%d" y="%.1f" text-anchor="middle" font-size="10">S</text></g>`,
					esc(bb.label), x+1, bottom-24, barWidth-2, x+barWidth/2, bottom-28)
				continue
			}
			y := c.y(bb.value, top)
			fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s: %s</title></rect>`,
				x+1, y, barWidth-2, bottom-y, palette[si%len(palette)], esc(bb.label), esc(c.format(bb.value)))
		}
		cx := x0 + len(c.series)*barWidth/2
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" transform="rotate(-40 %d %.1f)">%s</text>`,
			cx, bottom+16, cx, bottom+16, esc(truncate(cat, 24)))
	}
}

func (c chart) legend(b *bytes.Buffer, y int) {
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
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="url(#suppressed-hatch)" stroke="#555555"/><text x="%d" y="%d">S = suppressed (too few learners to show)</text>`,
		chartLeft, y, chartLeft+16, y+10)
	y += 20
	fmt.Fprintf(b, `<text class="disclosure" x="%d" y="%d" font-size="11">Figures are slightly perturbed to protect individuals; groups too small to show are left out.</text>`,
		chartLeft, y+10)
	b.WriteString(`</g>`)
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
