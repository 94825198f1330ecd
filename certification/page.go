package certification

import (
	"html/template"
	"time"

	"github.com/cybercampus/cybercampus/internal/web"
)

// pageTemplate is the verify page, in the visitor's language. html/template
// escapes every value; the page loads nothing from elsewhere, so it works
// offline and leaks no visit. Values written by people (names, titles) carry
// dir="auto" so an Arabic name reads right in an English page and back.
var pageTemplate = template.Must(template.New("certificate").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Naskh Arabic","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;color:#1b1f23;line-height:1.5}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px;border:1px solid #d0d7de;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin-top:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.5rem 1rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.status{padding:.75rem 1rem;border-radius:6px;font-weight:600;border:2px solid}
.valid{background:#e6f4ea;border-color:#137333;color:#0d5224}
.revoked{background:#fce8e6;border-color:#a50e0e;color:#7a0b0b}
a{color:#0645ad}
a:focus-visible{outline:3px solid #0645ad;outline-offset:2px}
nav{max-width:40rem;margin:1rem auto 0;padding:0 1rem}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}
nav a{display:inline-block;min-height:24px;min-width:24px;padding:.25rem 0}
@media (max-width:42rem){main{margin:1rem;padding:1.25rem}}
</style>
</head>
<body>
<nav aria-label="{{.T.languages}}"><ul>
{{range .Languages}}<li>{{if .Current}}<a href="?lang={{.Code}}" lang="{{.Code}}" hreflang="{{.Code}}" aria-current="page">{{.Name}}</a>{{else}}<a href="?lang={{.Code}}" lang="{{.Code}}" hreflang="{{.Code}}">{{.Name}}</a>{{end}}</li>
{{end}}</ul></nav>
<main>
<h1>{{.T.heading}}</h1>
<p class="status {{if .Revoked}}revoked{{else}}valid{{end}}" role="status">{{.Status}}</p>
<dl>
<dt>{{.T.learner}}</dt><dd dir="auto">{{if .LearnerName}}{{.LearnerName}}{{else}}<em>{{.T.erased}}</em>{{end}}</dd>
<dt>{{.T.course}}</dt><dd dir="auto">{{.CourseTitle}}</dd>
<dt>{{.T.issued}}</dt><dd><time datetime="{{.IssuedISO}}">{{.IssuedOn}}</time></dd>
<dt>{{.T.issuer}}</dt><dd dir="auto">{{.Issuer}}</dd>
<dt>{{.T.id}}</dt><dd dir="ltr">{{.ID}}</dd>
</dl>
<p>{{.About}}</p>
</main>
</body>
</html>
`))

type page struct {
	Lang, Dir, Title, Status                        string
	T                                               map[string]string
	Languages                                       []web.LanguageLink
	ID, LearnerName, CourseTitle, Issuer, VerifyURL string
	IssuedISO, IssuedOn                             string
	About                                           template.HTML
	Revoked                                         bool
}

// pageData fills the verify page of r in lang (one of the six languages).
func pageData(r Record, lang string) page {
	p := page{Lang: lang, Dir: web.TextDirection(lang), Languages: web.LanguageLinks(lang),
		Title: text(lang, "page.title", "course", r.CourseTitle, "issuer", r.Issuer),
		ID:    r.ID, LearnerName: r.LearnerName, CourseTitle: r.CourseTitle, Issuer: r.Issuer,
		VerifyURL: r.VerifyURL, IssuedISO: r.IssuedAt.Format(time.RFC3339),
		IssuedOn: formatDate(lang, r.IssuedAt), Revoked: r.Revoked,
		T: map[string]string{"heading": text(lang, "heading"), "learner": text(lang, "label.learner"), "erased": text(lang, "learner.erased"),
			"course": text(lang, "label.course"), "issued": text(lang, "label.issued"),
			"issuer": text(lang, "label.issuer"), "id": text(lang, "label.id"), "languages": text(lang, "languages")}}
	switch {
	case !r.Revoked:
		p.Status = text(lang, "status.valid", "issuer", r.Issuer)
	case r.RevokedAt != nil:
		p.Status = text(lang, "status.revoked_on", "date", formatDate(lang, *r.RevokedAt))
	default:
		p.Status = text(lang, "status.revoked")
	}
	p.About = htmlText(lang, "about", map[string]template.HTML{
		"url":    template.HTML(`<span dir="ltr">` + template.HTMLEscapeString(r.VerifyURL) + `</span>`),
		"accept": template.HTML(`<code dir="ltr">Accept: text/plain</code>`),
	})
	return p
}
