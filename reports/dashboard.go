package reports

import (
	"bytes"
	"embed"
	"html/template"
	"path"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// dashboardFiles is the analysts' dashboard: static files served by the
// program itself, with no external assets, so it works without network access.
//
//go:embed dashboard/index.html dashboard/app.js dashboard/app.css
var dashboardFiles embed.FS

// dashboardCSP allows only the page's own files, blob: chart images and calls
// to this API.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

var dashboardTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// dashboardTemplate is the page, rendered in the visitor's language.
var dashboardTemplate = template.Must(template.ParseFS(dashboardFiles, "dashboard/index.html"))

// dashboardView is what the page template shows.
type dashboardView struct {
	Lang, Dir string
	T         map[string]string
	Languages []web.LanguageLink
	Regions   []string
	Measures  []string
	// ImpactMeasures are what the impact chart may draw.
	ImpactMeasures []string
}

// dashboardText returns the dashboard's words in lang, English filling gaps.
func dashboardText(lang string) map[string]string {
	out := make(map[string]string, len(dashboardTexts["en"]))
	for k, v := range dashboardTexts["en"] {
		out[k] = v
	}
	for k, v := range dashboardTexts[lang] {
		out[k] = v
	}
	return out
}

// dashboardPage serves the page in the language Accept-Language or ?lang=
// asks for (web.PageLanguage), right to left in Arabic.
func dashboardPage(c *fiber.Ctx) error {
	lang := web.PageLanguage(c)
	var buf bytes.Buffer
	err := dashboardTemplate.ExecuteTemplate(&buf, "index.html", dashboardView{Lang: lang, Dir: web.TextDirection(lang),
		T: dashboardText(lang), Languages: web.LanguageLinks(lang), Regions: cc.Regions,
		Measures: Measures, ImpactMeasures: ImpactMeasures})
	if err != nil {
		return err
	}
	setDashboardHeaders(c, ".html")
	c.Set(fiber.HeaderContentLanguage, lang)
	return c.Send(buf.Bytes())
}

func dashboardAsset(c *fiber.Ctx) error {
	name := c.Params("file")
	if name != "app.js" && name != "app.css" {
		return cc.Errorf(cc.ENOTFOUND, "No such resource.")
	}
	return sendDashboardFile(c, name)
}

func sendDashboardFile(c *fiber.Ctx, name string) error {
	b, err := dashboardFiles.ReadFile("dashboard/" + name)
	if err != nil {
		return err
	}
	setDashboardHeaders(c, path.Ext(name))
	return c.Send(b)
}

func setDashboardHeaders(c *fiber.Ctx, ext string) {
	c.Set(fiber.HeaderContentType, dashboardTypes[ext])
	c.Set(fiber.HeaderContentSecurityPolicy, dashboardCSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-cache")
}
