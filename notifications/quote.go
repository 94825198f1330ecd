package notifications

import (
	"regexp"
	"strings"
	"unicode"
)

// Trainer-written text (a cohort's name, a trainer's account name) reaches
// learners' inboxes from the platform's own address, so it is shown only as
// quoted, attributed plain text that no mail program turns into a link: the
// schemes and dots of anything that looks like an address are defanged
// (http[:]//evil[.]test), invisible formatting characters (bidi overrides,
// zero-width joiners) go, and the text is cut to maxQuoted characters.
const maxQuoted = 80

var (
	schemeRe = regexp.MustCompile(`(?i)\b(https?|ftps?|mailto|tel|sms|file|javascript|data|vbscript)\s*:`)
	domainRe = regexp.MustCompile(`(?i)[\p{L}\p{N}-]+(?:[.。．｡][\p{L}\p{N}-]+)*[.。．｡](?:[\p{L}]{2,63}|xn--[a-z0-9-]+)\b`)
	dotsRe   = regexp.MustCompile(`[.。．｡]`)
)

// plainText is trainer-written text made inert for an email: defanged,
// without formatting characters, on one line, at most maxQuoted characters.
func plainText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxQuoted {
		s = strings.TrimSpace(string(r[:maxQuoted-1])) + "…"
	}
	s = schemeRe.ReplaceAllString(s, "$1[:]")
	return domainRe.ReplaceAllStringFunc(s, func(d string) string { return dotsRe.ReplaceAllString(d, "[.]") })
}

// quoted is trainer-written text as a quotation: plainText between quotes.
func quoted(s string) string { return "“" + plainText(s) + "”" }
