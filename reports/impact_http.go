package reports

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/cybercampus/cybercampus/internal/web"
)

// impact serves GET /v1/reports/impact: the participation report's
// dimensions and filters, with what learners learned and said. It counts
// against the analyst's report rate like every other report.
func (h *Handler) impact(c *fiber.Ctx) error {
	if err := h.limit(c); err != nil {
		return err
	}
	f, err := format(c)
	if err != nil {
		return err
	}
	q, err := h.query(c, reportParams)
	if err != nil {
		return err
	}
	if err := h.store.Audit(c.UserContext(), web.MustPrincipal(c).UserID, "impact", q, f); err != nil {
		return err
	}
	rep, err := h.store.Impact(c.UserContext(), q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if f == "csv" {
		var buf bytes.Buffer
		if err := WriteImpactCSV(&buf, rep); err != nil {
			return err
		}
		return sendFile(c, buf.Bytes(), "impact-"+rep.GeneratedAt.Format("20060102-150405")+".csv")
	}
	return c.JSON(rep)
}
