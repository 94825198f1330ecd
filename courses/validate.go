package courses

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	cc "github.com/cybercampus/cybercampus"
)

// problems collects document problems keyed by their path in the document.
type problems struct {
	list []cc.FieldError
}

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, cc.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

// keySet reports keys seen twice within one scope (the course, a quiz, a question).
type keySet map[string]string

func (s keySet) claim(p *problems, path, key string) {
	if key == "" {
		return
	}
	if first, dup := s[key]; dup {
		p.add(path, "duplicate key %q (already used at %s)", key, first)
		return
	}
	s[key] = path
}

// check finds what the JSON Schema cannot express: unique keys, the number of
// correct options, the fields a lesson kind needs, images without alternative
// text, contradictory accessibility metadata, and translations that name keys
// or languages the course does not have.
func (d *Document) check() []cc.FieldError {
	var p problems
	d.Accessibility.check(&p, "accessibility")
	moduleKeys, lessonKeys, quizKeys := keySet{}, keySet{}, keySet{}
	for i, m := range d.Modules {
		mp := fmt.Sprintf("modules[%d]", i)
		moduleKeys.claim(&p, mp+".key", m.Key)
		for j, l := range m.Lessons {
			lp := fmt.Sprintf("%s.lessons[%d]", mp, j)
			lessonKeys.claim(&p, lp+".key", l.Key)
			l.check(&p, lp)
		}
		if m.Quiz != nil {
			quizKeys.claim(&p, mp+".quiz.key", m.Quiz.Key)
			m.Quiz.check(&p, mp+".quiz")
		}
	}
	if d.Assessment != nil {
		d.Assessment.check(&p, "assessment")
	}
	d.checkTranslations(&p)
	return p.list
}

func (l DocLesson) check(p *problems, path string) {
	switch {
	case l.Kind == "video" && l.VideoURL == "":
		p.add(path+".video_url", "is required for a video lesson (an https URL)")
	case l.Kind == "video" && !strings.HasPrefix(l.VideoURL, "https://"):
		p.add(path+".video_url", "must be an https URL")
	case l.Kind != "video" && l.VideoURL != "":
		p.add(path+".video_url", "is only allowed on video lessons")
	}
	if (l.Kind == "text" || l.Kind == "exercise") && strings.TrimSpace(l.Content) == "" {
		p.add(path+".content", "is required for a %s lesson", l.Kind)
	}
	switch {
	case l.Kind == "video" && strings.TrimSpace(l.Transcript) == "":
		p.add(path+".transcript", "is required for a video lesson: the full text of what is said and shown, for learners who cannot watch or hear it")
	case l.Kind != "video" && l.Transcript != "":
		p.add(path+".transcript", "is only allowed on video lessons")
	}
	checkAltText(p, path+".content", l.Key, l.Content)
	checkAltText(p, path+".transcript", l.Key, l.Transcript)
	l.Accessibility.check(p, path+".accessibility")
}

func (q *DocQuiz) check(p *problems, path string) {
	if q.Draw > len(q.Questions) && len(q.Questions) > 0 {
		p.add(path+".draw", "draws %d questions from a pool of %d; draw at most the number of questions", q.Draw, len(q.Questions))
	}
	checkQuestions(p, path+".questions", q.Questions)
}

// check asks for a bank that can fill one draw with questions that are
// all gradable, as a quiz's are.
func (a *DocAssessment) check(p *problems, path string) {
	if a.Draw > len(a.Bank) && len(a.Bank) > 0 {
		p.add(path+".draw", "is %d but the bank holds only %d questions", a.Draw, len(a.Bank))
	}
	checkQuestions(p, path+".bank", a.Bank)
}

func checkQuestions(p *problems, path string, questions []DocQuestion) {
	questionKeys := keySet{}
	for i, qn := range questions {
		qp := fmt.Sprintf("%s[%d]", path, i)
		questionKeys.claim(p, qp+".key", qn.Key)
		optionKeys := keySet{}
		correct := 0
		for j, o := range qn.Options {
			optionKeys.claim(p, fmt.Sprintf("%s.options[%d].key", qp, j), o.Key)
			if o.Correct {
				correct++
			}
		}
		switch {
		case len(qn.Options) == 0:
		case correct == 0:
			p.add(qp+".options", "no correct option")
		case qn.Kind == "single" && correct > 1:
			p.add(qp+".options", "a single-choice question needs exactly one correct option, not %d", correct)
		}
	}
}

func (d *Document) checkTranslations(p *problems) {
	langs := make([]string, 0, len(d.Translations))
	for lang := range d.Translations {
		langs = append(langs, lang)
	}
	slices.Sort(langs)
	for _, lang := range langs {
		path := "translations." + lang
		t := d.Translations[lang]
		switch {
		case !cc.OneOf(lang, cc.Languages):
			p.add(path, "is not a supported language (%s)", strings.Join(cc.Languages, ", "))
			continue
		case lang == d.Language:
			p.add(path, "is the course's default language; translate into other languages only")
			continue
		case t == nil:
			continue
		}
		if t.Accessibility != nil && t.Accessibility.Summary != "" && (d.Accessibility == nil || d.Accessibility.Summary == "") {
			p.add(path+".accessibility.accessibilitySummary", "translates a summary the course does not have")
		}
		if len(t.Outcomes) > 0 && len(t.Outcomes) != len(d.Outcomes) {
			p.add(path+".outcomes", "has %d outcomes; the course has %d", len(t.Outcomes), len(d.Outcomes))
		}
		for _, key := range sortedKeys(t.Modules) {
			d.checkModuleTranslation(p, path+".modules."+key, key, t.Modules[key])
		}
		d.checkAssessmentTranslation(p, path+".assessment", t.Assessment)
	}
}

func (d *Document) checkAssessmentTranslation(p *problems, path string, at *AssessmentTranslation) {
	switch {
	case at == nil:
	case d.Assessment == nil:
		p.add(path, "the course has no assessment")
	default:
		checkQuestionTranslations(p, path+".bank.", d.Assessment.Bank, at.Bank, "the bank has no item %q")
	}
}

func (d *Document) checkModuleTranslation(p *problems, path, key string, mt *ModuleTranslation) {
	i := slices.IndexFunc(d.Modules, func(m DocModule) bool { return m.Key == key })
	if i < 0 {
		p.add(path, "the course has no module %q", key)
		return
	}
	if mt == nil {
		return
	}
	m := d.Modules[i]
	for _, lk := range sortedKeys(mt.Lessons) {
		li := slices.IndexFunc(m.Lessons, func(l DocLesson) bool { return l.Key == lk })
		if li < 0 {
			p.add(path+".lessons."+lk, "module %q has no lesson %q", key, lk)
			continue
		}
		if lt := mt.Lessons[lk]; lt != nil {
			lp := path + ".lessons." + lk
			if lt.Transcript != "" && m.Lessons[li].Kind != "video" {
				p.add(lp+".transcript", "is only allowed on video lessons")
			}
			if lt.Accessibility != nil && lt.Accessibility.Summary != "" &&
				(m.Lessons[li].Accessibility == nil || m.Lessons[li].Accessibility.Summary == "") {
				p.add(lp+".accessibility.accessibilitySummary", "translates a summary lesson %q does not have", lk)
			}
			checkAltText(p, lp+".content", lk, lt.Content)
			checkAltText(p, lp+".transcript", lk, lt.Transcript)
		}
	}
	if mt.Quiz == nil {
		return
	}
	if m.Quiz == nil {
		p.add(path+".quiz", "module %q has no quiz", key)
		return
	}
	checkQuestionTranslations(p, path+".quiz.questions.", m.Quiz.Questions, mt.Quiz.Questions, "the quiz has no question %q")
}

// checkQuestionTranslations reports translations of questions (keyed under
// prefix) or of options that questions do not have; noQuestion is the
// message for an unknown question key.
func checkQuestionTranslations(p *problems, prefix string, questions []DocQuestion, trs map[string]*QuestionTranslation, noQuestion string) {
	for _, qk := range sortedKeys(trs) {
		qi := slices.IndexFunc(questions, func(q DocQuestion) bool { return q.Key == qk })
		if qi < 0 {
			p.add(prefix+qk, noQuestion, qk)
			continue
		}
		qt := trs[qk]
		if qt == nil {
			continue
		}
		for _, ok := range sortedKeys(qt.Options) {
			if !slices.ContainsFunc(questions[qi].Options, func(o DocOption) bool { return o.Key == ok }) {
				p.add(prefix+qk+".options."+ok, "question %q has no option %q", qk, ok)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mergeProblems combines the schema's findings with the semantic checks into
// one 422, in document order. Where both name the same path the semantic
// message wins: it says more.
func mergeProblems(schema, semantic []cc.FieldError) error {
	seen := map[string]bool{}
	for _, f := range semantic {
		seen[f.Field] = true
	}
	all := slices.Clone(semantic)
	for _, f := range schema {
		if !seen[f.Field] {
			seen[f.Field] = true
			all = append(all, f)
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortStableFunc(all, func(a, b cc.FieldError) int { return comparePaths(a.Field, b.Field) })
	return &cc.Error{Code: cc.EINVALID, Message: "The course document is invalid.", Fields: all}
}

// comparePaths orders paths like modules[2].key before modules[10].key.
func comparePaths(a, b string) int {
	ta, tb := pathTokens(a), pathTokens(b)
	for i := range min(len(ta), len(tb)) {
		na, errA := strconv.Atoi(ta[i])
		nb, errB := strconv.Atoi(tb[i])
		switch {
		case errA == nil && errB == nil && na != nb:
			return na - nb
		case (errA != nil || errB != nil) && ta[i] != tb[i]:
			return strings.Compare(ta[i], tb[i])
		}
	}
	return len(ta) - len(tb)
}

func pathTokens(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
}
