package certification

import (
	"html/template"
	"time"
)

// pageTemplate is the verify page. html/template escapes every value; the page
// loads nothing from elsewhere, so it works offline and leaks no visit.
var pageTemplate = template.Must(template.New("certificate").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate: {{.CourseTitle}} – {{.Issuer}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0;background:#f4f6f8;color:#1b1f23;line-height:1.5}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px;border:1px solid #d0d7de}
h1{font-size:1.5rem;margin-top:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.5rem 1rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.status{padding:.75rem 1rem;border-radius:6px;font-weight:600;border:2px solid}
.valid{background:#e6f4ea;border-color:#137333;color:#0d5224}
.revoked{background:#fce8e6;border-color:#a50e0e;color:#7a0b0b}
a{color:#0645ad}
</style>
</head>
<body>
<main>
<h1>Certificate of completion</h1>
{{if .Revoked}}<p class="status revoked" role="status">Revoked{{if .RevokedOn}} on {{.RevokedOn}}{{end}}: this certificate is no longer valid.</p>
{{else}}<p class="status valid" role="status">Valid: this certificate was issued by {{.Issuer}} and has not been revoked.</p>
{{end}}<dl>
<dt>Learner</dt><dd dir="auto">{{if .LearnerName}}{{.LearnerName}}{{else}}<em>Name erased at the holder's request; the signed credential the holder shows names them.</em>{{end}}</dd>
<dt>Course</dt><dd dir="auto">{{.CourseTitle}}</dd>
<dt>Issued on</dt><dd><time datetime="{{.IssuedISO}}">{{.IssuedOn}}</time></dd>
<dt>Issuer</dt><dd>{{.Issuer}}</dd>
<dt>Certificate ID</dt><dd>{{.ID}}</dd>
</dl>
<p>This page is the certificate's verification address, <span dir="ltr">{{.VerifyURL}}</span>.
The certificate itself is a signed Open Badges 3.0 credential: request this address with
<code>Accept: text/plain</code> for the signed token, and check it with the issuer's public keys.</p>
</main>
</body>
</html>
`))

type page struct {
	ID, LearnerName, CourseTitle, Issuer, VerifyURL string
	IssuedISO, IssuedOn, RevokedOn                  string
	Revoked                                         bool
}

func pageData(r Record) page {
	p := page{ID: r.ID, LearnerName: r.LearnerName, CourseTitle: r.CourseTitle, Issuer: r.Issuer,
		VerifyURL: r.VerifyURL, IssuedISO: r.IssuedAt.Format(time.RFC3339),
		IssuedOn: r.IssuedAt.Format("2 January 2006"), Revoked: r.Revoked}
	if r.RevokedAt != nil {
		p.RevokedOn = r.RevokedAt.Format("2 January 2006")
	}
	return p
}
