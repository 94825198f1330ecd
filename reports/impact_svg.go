package reports

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// ImpactMeasures are what an impact chart may draw: "scores" puts the pre-
// and post-test means of each group side by side, the others are the
// impact report's figures.
var ImpactMeasures = []string{"scores", "mean_gain", "satisfaction_mean", "applied_share", "matched_pairs", "follow_up_responses", "learners"}

var impactKinds = map[string]valueKind{"scores": kindScore, "mean_gain": kindGain, "satisfaction_mean": kindRating,
	"applied_share": kindShare, "matched_pairs": kindCount, "follow_up_responses": kindCount, "learners": kindCount}

// WriteImpactSVG draws a measure of the impact report as an accessible SVG
// chart in lang, as WriteSVG draws participation: one bar (two for scores)
// per group, a mean or share the report does not publish drawn hatched and
// labelled "not shown", never as zero.
func WriteImpactSVG(w io.Writer, r *ImpactReport, measure, lang string) error {
	c := newChart(lang, impactKinds[measure])
	c.notice, c.hatchedLegend, c.hatchedText = c.t.get("impact.notice"), c.t.get("chart.legend_not_shown"), c.t.get("not_shown")
	c.titles(measure, r.GroupBy, len(r.GroupBy))
	rows := r.Rows
	if len(r.GroupBy) == 0 {
		rows = []ImpactRow{{ImpactFigures: r.Totals}}
	}
	for _, row := range rows {
		cat := c.t.get("chart.all")
		if len(r.GroupBy) > 0 {
			cat = c.labels(r.GroupBy, row.Values, c.t.get("chart.list_sep"))
		}
		if measure == "scores" {
			c.add(cat, c.t.get("measure.pre_mean"), row.PreMean)
			c.add(cat, c.t.get("measure.post_mean"), row.PostMean)
			continue
		}
		c.add(cat, "", impactValue(row.ImpactFigures, measure))
	}
	return c.write(w)
}

// impactValue is one published figure of a cell; nil when not published.
func impactValue(f ImpactFigures, measure string) *float64 {
	count := func(n *int64) *float64 {
		if n == nil {
			return nil
		}
		v := float64(*n)
		return &v
	}
	switch measure {
	case "mean_gain":
		return f.MeanGain
	case "satisfaction_mean":
		return f.SatisfactionMean
	case "applied_share":
		return f.AppliedShare
	case "matched_pairs":
		return count(f.MatchedPairs)
	case "follow_up_responses":
		return count(f.FollowUpResponses)
	}
	return count(f.Learners)
}

// impactChart serves GET /v1/reports/impact.svg: the impact report's query
// drawn as a chart in the language of ?lang= or Accept-Language.
func (h *Handler) impactChart(c *fiber.Ctx) error {
	measure := c.Query("measure", "scores")
	if !slices.Contains(ImpactMeasures, measure) {
		return cc.FieldErr(cc.EINVALID, "The request has invalid fields.", "measure", "must be one of "+strings.Join(ImpactMeasures, ", "))
	}
	q, err := h.query(c, chartParams)
	if err != nil {
		return err
	}
	if err := h.limit(c); err != nil {
		return err
	}
	if err := h.store.Audit(c.UserContext(), web.MustPrincipal(c).UserID, "impact.svg", q, "svg"); err != nil {
		return err
	}
	rep, err := h.store.Impact(c.UserContext(), q)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	lang := web.PageLanguage(c)
	if err := WriteImpactSVG(&buf, rep, measure, lang); err != nil {
		return err
	}
	return sendSVG(c, buf.Bytes(), lang)
}
