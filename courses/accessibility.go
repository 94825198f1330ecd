package courses

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Accessibility describes how a course or a lesson can be perceived and used,
// in schema.org's accessibility terms (https://schema.org/accessibilityFeature
// and the W3C vocabulary those properties point to). On a course it describes
// the course as a whole and is the default of every lesson that has none.
type Accessibility struct {
	Features   []string `json:"accessibilityFeature,omitempty" yaml:"accessibilityFeature,omitempty,flow"`
	Hazards    []string `json:"accessibilityHazard,omitempty" yaml:"accessibilityHazard,omitempty,flow"`
	AccessMode []string `json:"accessMode,omitempty" yaml:"accessMode,omitempty,flow"`
	// AccessModeSufficient lists the sets of access modes each enough to use
	// the whole content, every set written as modes joined by commas
	// ("textual", "auditory,visual").
	AccessModeSufficient []string `json:"accessModeSufficient,omitempty" yaml:"accessModeSufficient,omitempty,flow"`
	Summary              string   `json:"accessibilitySummary,omitempty" yaml:"accessibilitySummary,omitempty"`
}

// AccessibilityFeatures is schema.org's accessibilityFeature vocabulary,
// deprecated terms included (captions) since documents in the wild use them.
var AccessibilityFeatures = []string{
	"alternativeText", "annotations", "ARIA", "audioDescription", "bookmarks", "braille", "captions",
	"ChemML", "closedCaptions", "describedMath", "displayTransformability", "fullRubyAnnotation",
	"highContrastAudio", "highContrastDisplay", "horizontalWriting", "index", "largePrint", "latex",
	"latex-chemistry", "longDescription", "MathML", "MathML-chemistry", "none", "openCaptions",
	"pageBreakMarkers", "pageNavigation", "printPageNumbers", "readingOrder", "rubyAnnotation",
	"signLanguage", "structuralNavigation", "synchronizedAudioText", "tableOfContents", "tactileGraphic",
	"tactileObject", "taggedPDF", "timingControl", "transcript", "ttsMarkup", "unlocked",
	"verticalWriting", "withAdditionalWordSegmentation", "withoutAdditionalWordSegmentation",
}

// AccessibilityHazards is schema.org's accessibilityHazard vocabulary.
var AccessibilityHazards = []string{
	"flashing", "motionSimulation", "none", "noFlashingHazard", "noMotionSimulationHazard",
	"noSoundHazard", "sound", "unknown", "unknownFlashingHazard", "unknownMotionSimulationHazard",
	"unknownSoundHazard",
}

// AccessModes is schema.org's accessMode vocabulary.
var AccessModes = []string{
	"auditory", "chartOnVisual", "chemOnVisual", "colorDependent", "diagramOnVisual", "mathOnVisual",
	"musicOnVisual", "tactile", "textOnVisual", "textual", "visual",
}

// SufficientAccessModes are the modes accessModeSufficient combines.
var SufficientAccessModes = []string{"auditory", "tactile", "textual", "visual"}

// hazardGroups are the hazards of which a document may state only one each:
// a hazard, its absence, or that it is unknown.
var hazardGroups = [][]string{
	{"flashing", "noFlashingHazard", "unknownFlashingHazard"},
	{"motionSimulation", "noMotionSimulationHazard", "unknownMotionSimulationHazard"},
	{"sound", "noSoundHazard", "unknownSoundHazard"},
}

// check reports terms outside the vocabularies and statements that
// contradict each other, each under its path in the document.
func (a *Accessibility) check(p *problems, path string) {
	if a == nil {
		return
	}
	checkTerms(p, path+".accessibilityFeature", a.Features, AccessibilityFeatures, "an accessibilityFeature")
	checkTerms(p, path+".accessibilityHazard", a.Hazards, AccessibilityHazards, "an accessibilityHazard")
	checkTerms(p, path+".accessMode", a.AccessMode, AccessModes, "an accessMode")
	for i, set := range a.AccessModeSufficient {
		for _, mode := range strings.Split(set, ",") {
			if !slices.Contains(SufficientAccessModes, strings.TrimSpace(mode)) {
				p.add(fmt.Sprintf("%s.accessModeSufficient[%d]", path, i),
					"%q is not a sufficient access mode; join %s with commas", mode, strings.Join(SufficientAccessModes, ", "))
				break
			}
		}
	}
	if len(a.Features) > 1 && slices.Contains(a.Features, "none") {
		p.add(path+".accessibilityFeature", `"none" cannot be listed with other features`)
	}
	if len(a.Hazards) > 1 && (slices.Contains(a.Hazards, "none") || slices.Contains(a.Hazards, "unknown")) {
		p.add(path+".accessibilityHazard", `"none" and "unknown" cannot be listed with other hazards`)
	}
	for _, g := range hazardGroups {
		if n := countIn(a.Hazards, g); n > 1 {
			p.add(path+".accessibilityHazard", "states more than one of %s", strings.Join(g, ", "))
		}
	}
}

func checkTerms(p *problems, path string, terms, vocabulary []string, what string) {
	for i, t := range terms {
		if !slices.Contains(vocabulary, t) {
			p.add(fmt.Sprintf("%s[%d]", path, i), "%q is not %s term (schema.org: %s)", t, what, strings.Join(vocabulary, ", "))
		}
	}
}

func countIn(list, group []string) int {
	n := 0
	for _, s := range list {
		if slices.Contains(group, s) {
			n++
		}
	}
	return n
}

// lessonFeatures are the accessibility features a lesson offers: its own
// metadata, or the course's when it has none, and a transcript when it
// carries one. The catalogue filter matches against these.
func lessonFeatures(course *Accessibility, l DocLesson) []string {
	a := l.Accessibility
	if a == nil {
		a = course
	}
	var out []string
	if a != nil {
		out = slices.Clone(a.Features)
	}
	if strings.TrimSpace(l.Transcript) != "" && !slices.Contains(out, "transcript") {
		out = append(out, "transcript")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// effectiveAccessibility is a lesson's metadata as served: its own, or the
// course's, with the features it offers.
func effectiveAccessibility(course *Accessibility, l DocLesson) *Accessibility {
	a := l.Accessibility
	if a == nil {
		a = course
	}
	var out Accessibility
	if a != nil {
		out = *a
	}
	out.Features = lessonFeatures(course, l)
	if out.Features == nil && out.Hazards == nil && out.AccessMode == nil && out.AccessModeSufficient == nil && out.Summary == "" {
		return nil
	}
	return &out
}

// courseLessonFeatures are the features every lesson of the document offers.
func (d *Document) courseLessonFeatures() []string {
	var common []string
	first := true
	for _, m := range d.Modules {
		for _, l := range m.Lessons {
			f := lessonFeatures(d.Accessibility, l)
			if first {
				common, first = f, false
				continue
			}
			common = slices.DeleteFunc(common, func(x string) bool { return !slices.Contains(f, x) })
		}
	}
	if common == nil {
		common = []string{}
	}
	return common
}

// Images in Markdown: inline ![alt](src "title"), reference ![alt][ref] or
// ![alt], and raw HTML <img> tags.
var (
	markdownImage = regexp.MustCompile(`!\[((?:[^\[\]\\]|\\.)*)\](?:\(\s*<?([^\s)>]*)>?[^)]*\)|\[([^\]]*)\])?`)
	htmlImage     = regexp.MustCompile(`(?is)<img\b[^>]*>`)
	htmlAlt       = regexp.MustCompile(`(?is)\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
	htmlSrc       = regexp.MustCompile(`(?is)\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

// checkAltText reports every image of a Markdown text without alternative
// text, naming the lesson and the image (its number in the text and source).
func checkAltText(p *problems, path, lessonKey, markdown string) {
	n := 0
	for _, m := range markdownImage.FindAllStringSubmatch(markdown, -1) {
		n++
		if strings.TrimSpace(m[1]) == "" {
			p.add(path, "image %d (%s) of lesson %q has no alternative text: write it between the brackets, ![what the image shows](...)",
				n, imageName(m[2], m[3]), lessonKey)
		}
	}
	for _, tag := range htmlImage.FindAllString(markdown, -1) {
		n++
		alt := firstGroup(htmlAlt.FindStringSubmatch(tag))
		if strings.TrimSpace(alt) == "" {
			p.add(path, "image %d (%s) of lesson %q has no alternative text: give the <img> an alt attribute describing it",
				n, imageName(firstGroup(htmlSrc.FindStringSubmatch(tag)), ""), lessonKey)
		}
	}
}

func imageName(src, ref string) string {
	switch {
	case src != "":
		return fmt.Sprintf("%q", src)
	case ref != "":
		return fmt.Sprintf("reference [%s]", ref)
	}
	return "no source"
}

func firstGroup(m []string) string {
	for _, g := range m[min(1, len(m)):] {
		if g != "" {
			return g
		}
	}
	return ""
}

// Scan reads the metadata stored as jsonb; SQL NULL leaves the pointer nil.
func (a *Accessibility) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		return json.Unmarshal(v, a)
	case string:
		return json.Unmarshal([]byte(v), a)
	}
	return fmt.Errorf("accessibility: cannot scan %T", src)
}
