package reports

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/internal/spreadsheet"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Handler serves the report routes.
type Handler struct {
	store       *Store
	minCellSize int
	limiter     *ratelimit.Limiter
	perMinute   int // reports one analyst may run per minute
	logger      *slog.Logger
}

// ReportsPerMinute is how many reports (of any format, exports included) one
// analyst may run per minute. Perturbation makes repeating a query useless;
// the limit bounds how many different ones an analyst can difference.
const ReportsPerMinute = 60

// NewHandler returns the report handlers and jobs; minCellSize is the
// configured floor, limiter counts each analyst's reports, and logger records
// the jobs' results.
func NewHandler(store *Store, minCellSize int, limiter *ratelimit.Limiter, logger *slog.Logger) *Handler {
	return &Handler{store: store, minCellSize: max(minCellSize, 3), limiter: limiter, perMinute: ReportsPerMinute,
		logger: logger}
}

// limit counts a report against its analyst's rate (429 with Retry-After
// beyond it).
func (h *Handler) limit(c *fiber.Ctx) error {
	res := h.limiter.Take(c.UserContext(), "reports", web.MustPrincipal(c).UserID, h.perMinute, time.Minute)
	if res.Allowed {
		return nil
	}
	return &cc.Error{Code: cc.ERATELIMITED, Message: "Too many reports in a minute; try again later.",
		RetryAfter: int((res.RetryAfter + time.Second - 1) / time.Second)}
}

// Register mounts the routes: reports for analysts and admins, the dashboard for anyone.
func (h *Handler) Register(r fiber.Router, a *web.Auth) {
	g := r.Group("/v1/reports", a.Required, web.Role(cc.RoleAnalyst, cc.RoleAdmin))
	g.Get("/participation.svg", h.chart)
	g.Get("/participation", h.participation)
	g.Get("/impact", h.impact)
	g.Get("/impact.svg", h.impactChart)
	g.Post("/exports", h.createExport)
	g.Get("/exports/:id", h.export)
	r.Get("/dashboard", dashboardPage)
	r.Get("/dashboard/:file", dashboardAsset)
}

var reportParams = []string{"group_by", "course", "cohort", "country", "region", "from", "to", "min_cell_size", "format"}

// chartParams are a chart's: the report's filters, the measure drawn and
// the language of its words (else Accept-Language).
var chartParams = []string{"group_by", "course", "cohort", "country", "region", "from", "to", "min_cell_size", "measure", "lang"}

// query reads and validates the report parameters of the query string:
// a repeated parameter is 400, an unknown one or a bad value 422.
func (h *Handler) query(c *fiber.Ctx, allowed []string) (Query, error) {
	seen := map[string]int{}
	var v cc.Validation
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		name := string(k)
		seen[name]++
		if seen[name] == 1 && !slices.Contains(allowed, name) {
			v.Add(name, "is not a parameter of this report (allowed: %s)", strings.Join(allowed, ", "))
		}
	})
	for name, n := range seen {
		if n > 1 {
			return Query{}, cc.Errorf(cc.EBADREQUEST, "The query parameter %q is given more than once.", name)
		}
	}
	if err := v.Err(); err != nil {
		return Query{}, err
	}
	p := Params{GroupBy: c.Query("group_by"), Course: c.Query("course"), Cohort: c.Query("cohort"),
		Country: c.Query("country"), Region: c.Query("region"), From: c.Query("from"), To: c.Query("to"),
		MinCellSize: c.Query("min_cell_size")}
	q, err := p.Parse(h.minCellSize)
	if err != nil {
		return q, err
	}
	return q, h.store.Resolve(c.UserContext(), &q)
}

// format picks json or csv from ?format= or else the Accept header.
func format(c *fiber.Ctx) (string, error) {
	switch f := c.Query("format"); f {
	case "json", "csv":
		return f, nil
	case "":
	default:
		return "", cc.FieldErr(cc.EINVALID, "The request has invalid fields.", "format", "must be json or csv")
	}
	if c.Get(fiber.HeaderAccept) == "" {
		return "json", nil
	}
	switch c.Accepts(fiber.MIMEApplicationJSON, "text/csv") {
	case "text/csv":
		return "csv", nil
	case fiber.MIMEApplicationJSON:
		return "json", nil
	}
	return "", cc.Errorf(cc.ENOTACCEPTABLE, "This report is available as application/json or text/csv.")
}

// run audits the request and computes the report. The audit row is written
// on the primary while the report is read, and the report is released only
// once the audit row is committed: no one sees a report nobody recorded.
func (h *Handler) run(c *fiber.Ctx, endpoint, format string, q Query) (*Report, error) {
	if err := h.limit(c); err != nil {
		return nil, err
	}
	var audit error
	done := make(chan struct{})
	userID, ctx := web.MustPrincipal(c).UserID, c.UserContext()
	go func() {
		defer close(done)
		audit = h.store.Audit(ctx, userID, endpoint, q, format)
	}()
	rep, err := h.store.Participation(ctx, q)
	<-done
	if audit != nil {
		return nil, audit
	}
	return rep, err
}

func (h *Handler) participation(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	q, err := h.query(c, reportParams)
	if err != nil {
		return err
	}
	rep, err := h.run(c, "participation", f, q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if f == "csv" {
		return sendCSV(c, rep, "participation")
	}
	body, err := rep.JSON()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func sendCSV(c *fiber.Ctx, rep *Report, name string) error {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		return err
	}
	return sendFile(c, buf.Bytes(), fmt.Sprintf("%s-%s.csv", name, rep.GeneratedAt.Format("20060102-150405")))
}

func sendFile(c *fiber.Ctx, file []byte, name string) error {
	c.Set(fiber.HeaderContentType, spreadsheet.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(file)
}

func (h *Handler) chart(c *fiber.Ctx) error {
	measure := c.Query("measure", "learners")
	if !slices.Contains(Measures, measure) {
		return &cc.Error{Code: cc.EINVALID, Message: "The request has invalid fields.",
			Fields: []cc.FieldError{{Field: "measure", Message: "must be one of " + strings.Join(Measures, ", ")}}}
	}
	q, err := h.query(c, chartParams)
	if err != nil {
		return err
	}
	rep, err := h.run(c, "participation.svg", "svg", q)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	lang := web.PageLanguage(c)
	if err := WriteSVG(&buf, rep, measure, lang); err != nil {
		return err
	}
	return sendSVG(c, buf.Bytes(), lang)
}

// sendSVG sends a chart whose words are in lang.
func sendSVG(c *fiber.Ctx, svg []byte, lang string) error {
	c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'")
	c.Set(fiber.HeaderContentLanguage, lang)
	return c.Send(svg)
}

func (h *Handler) createExport(c *fiber.Ctx) error {
	var req ExportRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	q, err := req.Params().Parse(h.minCellSize)
	if err != nil {
		return err
	}
	if err := h.store.Resolve(c.UserContext(), &q); err != nil {
		return err
	}
	if err := h.limit(c); err != nil {
		return err
	}
	p := web.MustPrincipal(c)
	if err := h.store.Audit(c.UserContext(), p.UserID, "exports", q, "csv"); err != nil {
		return err
	}
	e, err := h.store.CreateExport(c.UserContext(), p.UserID, q)
	if err != nil {
		return err
	}
	c.Location("/v1/reports/exports/" + e.ID)
	return c.Status(fiber.StatusAccepted).JSON(withURL(e))
}

func withURL(e Export) Export {
	if e.Status == "done" {
		u := "/v1/reports/exports/" + e.ID + "?format=csv"
		e.DownloadURL = &u
	}
	return e
}

func (h *Handler) export(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	p := web.MustPrincipal(c)
	e, err := h.store.ExportFor(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	f, err := format(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if f == "json" {
		return c.JSON(withURL(e))
	}
	if e.Status != "done" {
		return cc.Errorf(cc.ECONFLICT, "The export is %s; its file is not ready.", e.Status)
	}
	file, err := h.store.ExportFile(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.store.AuditRaw(c.UserContext(), p.UserID, "exports/"+id, e.Params, "csv"); err != nil {
		return err
	}
	return sendFile(c, file, "participation-export-"+id[:8]+".csv")
}
