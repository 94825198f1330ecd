package courses

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

var testDB *pgtest.DB

func TestMain(m *testing.M) {
	pgtest.Main(m, "courses", &testDB)
}

const redisDB = 9

// mustGet reads one row into dest, failing the test when the query fails: a
// failed query must never read as "nothing stored".
func mustGet(tb testing.TB, dest any, q string, args ...any) {
	tb.Helper()
	if err := testDB.Get(dest, q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// testEnv is the application with the courses module; its response cache
// rereads the catalogue generation on every request unless a test says so,
// because tests also write through the store directly.
type testEnv struct {
	*apptest.Env
	mod module
}

// module is the courses store and handler, built as cmd/cybercampus builds them.
type module struct {
	Store   *Store
	Handler *Handler
}

func newEnv(tb testing.TB) *testEnv {
	tb.Helper()
	env := apptest.New(tb, testDB, apptest.Options{RedisDB: redisDB})
	store := NewStore(env.DB.DB)
	mod := module{Store: store, Handler: NewHandler(store, 0)}
	mod.Handler.Register(env.App, env.Auth)
	return &testEnv{Env: env, mod: mod}
}

var seedOnce sync.Once

// seeded loads the starter curriculum once for the package's tests.
func seeded(tb testing.TB) {
	tb.Helper()
	var err error
	seedOnce.Do(func() { _, err = SeedStarter(context.Background(), testDB.DB) })
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// sampleYAML is a small valid course with accessibility metadata, a video
// lesson with its transcript, a quiz and a partial French translation.
const sampleYAML = `
slug: SLUG
title: Password basics
summary: Choose and store strong passwords.
level: beginner
audiences: [youth, msme]
language: en
outcomes:
  - Make a long passphrase
  - Use a password manager
accessibility:
  accessibilityFeature: [displayTransformability, structuralNavigation]
  accessibilityHazard: [none]
  accessMode: [textual]
  accessModeSufficient: [textual]
  accessibilitySummary: Text lessons with headings; the video has captions and a transcript.
modules:
  - key: passwords
    title: Passwords
    summary: Why length matters.
    lessons:
      - key: length
        title: Length beats complexity
        kind: text
        duration_minutes: 10
        content: "# Length\n\nLong passphrases resist guessing."
      - key: manager-video
        title: Password managers in action
        kind: video
        duration_minutes: 5
        video_url: https://videos.example.org/managers.mp4
        transcript: "A password manager remembers every password for you."
        accessibility:
          accessibilityFeature: [captions]
          accessibilityHazard: [noFlashingHazard, noMotionSimulationHazard, noSoundHazard]
          accessMode: [auditory, visual]
          accessModeSufficient: ["auditory,visual", textual]
          accessibilitySummary: Captioned video with a full transcript.
    quiz:
      key: passwords-check
      title: Check your understanding
      pass_score: 70
      max_attempts: 3
      questions:
        - key: q1
          text: Which password is strongest?
          kind: single
          explanation: Length matters most.
          options:
            - {key: a, text: orange river battery staple, correct: true}
            - {key: b, text: P@ss1}
        - key: q2
          text: Where may you keep passwords?
          kind: multiple
          explanation: A manager or paper at home.
          options:
            - {key: a, text: A password manager, correct: true}
            - {key: b, text: A notebook kept at home, correct: true}
            - {key: c, text: A sticky note on the screen}
  - key: practice
    title: Practice
    lessons:
      - key: make-one
        title: Make a passphrase
        kind: exercise
        duration_minutes: 15
        content: Write four random words.
translations:
  fr:
    title: Les bases des mots de passe
    accessibility: {accessibilitySummary: "Leçons en texte avec titres ; la vidéo a des sous-titres et une transcription."}
    outcomes: [Créer une longue phrase de passe, Utiliser un gestionnaire de mots de passe]
    modules:
      passwords:
        title: Mots de passe
        lessons:
          length: {title: La longueur avant la complexité, content: "# Longueur\n\nLes longues phrases de passe résistent."}
          manager-video: {accessibility: {accessibilitySummary: Vidéo sous-titrée avec une transcription complète.}}
        quiz:
          title: Vérifiez vos connaissances
          questions:
            q1:
              text: Quel mot de passe est le plus fort ?
              explanation: La longueur compte le plus.
              options: {a: orange rivière pile agrafe}
`

// sampleDoc returns the sample course as a generic document to mutate.
func sampleDoc(tb testing.TB, slug string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(strings.Replace(sampleYAML, "SLUG", slug, 1)), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func sampleBody(slug string) []byte {
	return []byte(strings.Replace(sampleYAML, "SLUG", slug, 1))
}

var pathStep = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// setPath sets (or, with del, deletes) the value at a path like
// modules[0].lessons[1].video_url in a generic document.
func setPath(tb testing.TB, doc map[string]any, path string, value any, del bool) {
	tb.Helper()
	steps := pathStep.FindAllStringSubmatch(path, -1)
	var cur any = doc
	for i, s := range steps {
		last := i == len(steps)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if del {
					delete(c, s[1])
				} else {
					c[s[1]] = value
				}
				return
			}
			if c[s[1]] == nil {
				c[s[1]] = map[string]any{}
			}
			cur = c[s[1]]
		case []any:
			n, _ := strconv.Atoi(s[2])
			if last {
				c[n] = value
				return
			}
			cur = c[n]
		default:
			tb.Fatalf("path %s: cannot step into %T", path, cur)
		}
	}
}

var slugSeq struct {
	sync.Mutex
	n int
}

// uniqueSlug names a course no other test uses.
func uniqueSlug(prefix string) string {
	slugSeq.Lock()
	defer slugSeq.Unlock()
	slugSeq.n++
	return fmt.Sprintf("%s-%d-%s", prefix, slugSeq.n, pgtest.RandomSuffix())
}
