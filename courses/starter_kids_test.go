package courses

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// TestChildrenCourseIsCompleteInFourLanguages holds the children's starter
// course to complete translations in French, Spanish and Arabic: every
// title, summary, outcome, lesson, question, explanation and option.
func TestChildrenCourseIsCompleteInFourLanguages(t *testing.T) {
	body, err := starterFS.ReadFile("starter/safe-online-kids.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Title, Summary string
		Outcomes       []string
		Audiences      []string
		Modules        []struct {
			Key, Title, Summary string
			Lessons             []struct{ Key, Title, Content string }
			Quiz                struct {
				Title     string
				Questions []struct {
					Key, Text, Explanation string
					Options                []struct{ Key, Text string }
				}
			}
		}
		Translations map[string]struct {
			Title, Summary string
			Outcomes       []string
			Modules        map[string]struct {
				Title, Summary string
				Lessons        map[string]struct{ Title, Content string }
				Quiz           struct {
					Title     string
					Questions map[string]struct {
						Text, Explanation string
						Options           map[string]string
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "es", "ar"} {
		tr, ok := doc.Translations[lang]
		if !ok {
			t.Errorf("no %s translation", lang)
			continue
		}
		missing := func(what, v string) {
			if v == "" {
				t.Errorf("%s: %s is not translated", lang, what)
			}
		}
		missing("title", tr.Title)
		missing("summary", tr.Summary)
		if len(tr.Outcomes) != len(doc.Outcomes) {
			t.Errorf("%s: %d outcomes, want %d", lang, len(tr.Outcomes), len(doc.Outcomes))
		}
		for _, m := range doc.Modules {
			tm := tr.Modules[m.Key]
			missing(m.Key+" title", tm.Title)
			missing(m.Key+" summary", tm.Summary)
			for _, l := range m.Lessons {
				missing(l.Key+" title", tm.Lessons[l.Key].Title)
				missing(l.Key+" content", tm.Lessons[l.Key].Content)
			}
			missing(m.Key+" quiz title", tm.Quiz.Title)
			for _, q := range m.Quiz.Questions {
				tq := tm.Quiz.Questions[q.Key]
				missing(m.Key+"."+q.Key+" text", tq.Text)
				missing(m.Key+"."+q.Key+" explanation", tq.Explanation)
				for _, o := range q.Options {
					missing(m.Key+"."+q.Key+"."+o.Key, tq.Options[o.Key])
				}
			}
		}
	}
	if len(doc.Modules) != 3 || doc.Audiences[0] != "youth" {
		t.Fatalf("modules %d, audiences %v", len(doc.Modules), doc.Audiences)
	}
}
