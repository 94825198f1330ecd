package courses

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// versionCount counts the versions of slug's course.
func versionCount(t *testing.T, slug string) int {
	t.Helper()
	var n int
	if err := testDB.Get(&n, `SELECT count(*) FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE c.slug = $1`, slug); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedIsIdempotent(t *testing.T) {
	seeded(t)
	ctx := context.Background()
	var before, gen int
	mustGet(t, &before, `SELECT count(*) FROM course_versions`)
	mustGet(t, &gen, `SELECT generation FROM catalogue_state`)
	n, err := SeedStarter(ctx, testDB.DB)
	if err != nil {
		t.Fatal(err)
	}
	var after, genAfter, published int
	mustGet(t, &after, `SELECT count(*) FROM course_versions`)
	mustGet(t, &genAfter, `SELECT generation FROM catalogue_state`)
	if n != 0 || after != before || genAfter != gen {
		t.Fatalf("second seed: %d changed, versions %d → %d, generation %d → %d", n, before, after, gen, genAfter)
	}
	mustGet(t, &published, `SELECT count(*) FROM courses c JOIN course_versions v ON v.id = c.current_version_id
		WHERE c.slug = ANY ($1) AND v.status = 'published'`, "{"+strings.Join(starterSlugs, ",")+"}")
	if published != len(starterSlugs) {
		t.Fatalf("%d starter courses published, want %d", published, len(starterSlugs))
	}
}

func TestImportPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good, changing := uniqueSlug("import-good"), uniqueSlug("import-changing")
	write := func(name string, body []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", sampleBody(good))
	write("b.yaml", sampleBody(changing))
	write("notes.txt", []byte("not a course"))

	t.Run("a directory imports and publishes each document", func(t *testing.T) {
		var out bytes.Buffer
		if err := ImportPath(ctx, testDB.DB, dir, &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		for _, s := range []string{good, changing} {
			if versionCount(t, s) != 1 {
				t.Fatalf("%s has %d versions", s, versionCount(t, s))
			}
		}
		if !strings.Contains(out.String(), "created, published version 1") {
			t.Fatalf("report %q", out.String())
		}
	})
	t.Run("importing again changes nothing", func(t *testing.T) {
		var out bytes.Buffer
		if err := ImportPath(ctx, testDB.DB, dir, &out); err != nil {
			t.Fatal(err)
		}
		if versionCount(t, good) != 1 || strings.Count(out.String(), "unchanged") != 2 {
			t.Fatalf("second import: %s", out.String())
		}
	})
	t.Run("a bad document changes nothing while the others import", func(t *testing.T) {
		var hash string
		mustGet(t, &hash, `SELECT v.document_hash FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE c.slug = $1`, changing)
		broken := strings.Replace(string(sampleBody(changing)), "pass_score: 70", "pass_score: 700", 1)
		broken = strings.Replace(broken, "title: Password basics", "title: Password basics, edited", 1)
		write("b.yaml", []byte(broken))
		json := sampleDoc(t, uniqueSlug("import-json"))
		write("c.json", mustJSON(t, json))
		var out bytes.Buffer
		err := ImportPath(ctx, testDB.DB, dir, &out)
		if err == nil || !strings.Contains(err.Error(), "1 of 3") {
			t.Fatalf("error %v, want 1 of 3 failed", err)
		}
		if !strings.Contains(out.String(), "modules[0].quiz.pass_score") {
			t.Fatalf("report does not name the bad field: %s", out.String())
		}
		var after string
		mustGet(t, &after, `SELECT v.document_hash FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE c.slug = $1`, changing)
		if versionCount(t, changing) != 1 || after != hash {
			t.Fatal("the bad document changed its course")
		}
		if versionCount(t, json["slug"].(string)) != 1 {
			t.Fatal("the JSON document next to the bad one was not imported")
		}
	})
	t.Run("a changed document becomes the next published version", func(t *testing.T) {
		edited := strings.Replace(string(sampleBody(changing)), "title: Password basics", "title: Password basics, edited", 1)
		var out bytes.Buffer
		if err := ImportPath(ctx, testDB.DB, writeFile(t, "edited.yaml", edited), &out); err != nil {
			t.Fatal(err)
		}
		var version int
		var title string
		if err := testDB.QueryRow(`SELECT v.version, v.title FROM courses c JOIN course_versions v ON v.id = c.current_version_id WHERE c.slug = $1`, changing).Scan(&version, &title); err != nil {
			t.Fatal(err)
		}
		if version != 2 || title != "Password basics, edited" {
			t.Fatalf("current version %d %q", version, title)
		}
	})
	t.Run("missing path and empty directory fail", func(t *testing.T) {
		if err := ImportPath(ctx, testDB.DB, filepath.Join(dir, "missing.yaml"), &bytes.Buffer{}); err == nil {
			t.Fatal("a missing file imported")
		}
		if err := ImportPath(ctx, testDB.DB, t.TempDir(), &bytes.Buffer{}); err == nil {
			t.Fatal("an empty directory imported")
		}
	})
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExportImportRoundTrip(t *testing.T) {
	seeded(t)
	ctx := context.Background()
	for _, slug := range []string{"incident-response-fundamentals", "protecting-small-business"} {
		t.Run(slug, func(t *testing.T) {
			var out bytes.Buffer
			if err := ExportDocument(ctx, testDB.DB, slug, &out); err != nil {
				t.Fatal(err)
			}
			exported, err := ParseDocument(out.Bytes(), FormatYAML)
			if err != nil {
				t.Fatalf("exported document does not validate: %s", describe(err))
			}
			original, _ := starterFS.ReadFile("starter/" + slug + ".yaml")
			p, _ := ParseDocument(original, FormatYAML)
			if exported.Hash != p.Hash {
				a, _ := json.Marshal(exported.Doc)
				b, _ := json.Marshal(p.Doc)
				t.Fatalf("export differs from the source document:\n%.400s\n%.400s", a, b)
			}
			before := versionCount(t, slug)
			var report bytes.Buffer
			if err := ImportPath(ctx, testDB.DB, writeFile(t, slug+".yaml", out.String()), &report); err != nil {
				t.Fatal(err)
			}
			if versionCount(t, slug) != before || !strings.Contains(report.String(), "unchanged") {
				t.Fatalf("re-importing the export changed the course: %s", report.String())
			}
		})
	}
	t.Run("unknown course", func(t *testing.T) {
		if err := ExportDocument(ctx, testDB.DB, "no-such-course", &bytes.Buffer{}); err == nil {
			t.Fatal("exported a course that does not exist")
		}
	})
}
