package reports

import (
	"embed"
	"path"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
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

func dashboardPage(c *fiber.Ctx) error { return sendDashboardFile(c, "index.html") }

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
	c.Set(fiber.HeaderContentType, dashboardTypes[path.Ext(name)])
	c.Set(fiber.HeaderContentSecurityPolicy, dashboardCSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(b)
}
