package web

import (
	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"

	cc "github.com/cybercampus/cybercampus"
)

// pageLanguages are the six UN languages every HTML page is served in, English
// first: the matcher falls back to its first entry.
var pageLanguages = []language.Tag{language.English, language.Arabic, language.Spanish,
	language.French, language.Russian, language.Chinese}

var pageMatcher = language.NewMatcher(pageLanguages)

// PageLanguage picks the language of an HTML page: ?lang= when it names one
// of the six languages, else the best match of Accept-Language, else English.
// The response varies with Accept-Language, which it says.
func PageLanguage(c *fiber.Ctx) string {
	c.Vary(fiber.HeaderAcceptLanguage)
	if l := c.Query("lang"); cc.OneOf(l, cc.Languages) {
		return l
	}
	prefs, _, err := language.ParseAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
	if err != nil || len(prefs) == 0 {
		return "en"
	}
	_, i, _ := pageMatcher.Match(prefs...)
	base, _ := pageLanguages[i].Base()
	return base.String()
}

// TextDirection is the writing direction of a page language: Arabic is
// written right to left.
func TextDirection(lang string) string {
	if lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// LanguageLink is an entry of a page's language switcher: the language's own
// name, written in that language.
type LanguageLink struct {
	Code, Name string
	Current    bool
}

// languageNames are the languages' names in themselves.
var languageNames = map[string]string{
	"ar": "العربية", "en": "English", "es": "Español", "fr": "Français", "ru": "Русский", "zh": "中文",
}

// LanguageLinks lists the six languages for a switcher, current marked.
func LanguageLinks(current string) []LanguageLink {
	out := make([]LanguageLink, len(cc.Languages))
	for i, l := range cc.Languages {
		out[i] = LanguageLink{Code: l, Name: languageNames[l], Current: l == current}
	}
	return out
}
