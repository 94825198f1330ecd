package courses

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
)

// SeedStarter loads and publishes the embedded starter curriculum; running it
// again changes nothing, and a changed document becomes the next version. It
// returns how many courses were created or updated.
func SeedStarter(ctx context.Context, db *sqlx.DB) (int, error) {
	files, err := starterFiles()
	if err != nil {
		return 0, err
	}
	store, n := NewStore(db), 0
	for _, f := range files {
		res, err := importBytes(ctx, store, f.Name, f.Body)
		if err != nil {
			return n, err
		}
		if res.Changed() {
			n++
		}
	}
	return n, nil
}

// ImportPath imports one course document file, or every *.yaml, *.yml and
// *.json file of a directory, reporting each to out. Each document is
// imported and published in its own transaction: a bad document changes
// nothing and is reported, the others are still imported, and the error
// returned says how many failed.
func ImportPath(ctx context.Context, db *sqlx.DB, path string, out io.Writer) error {
	files, err := documentFiles(path)
	if err != nil {
		return err
	}
	store, failed := NewStore(db), 0
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err == nil {
			var res ImportResult
			if res, err = importBytes(ctx, store, name, body); err == nil {
				fmt.Fprintf(out, "%s: %s\n", name, describeImport(res))
				continue
			}
		}
		failed++
		fmt.Fprintln(out, err) // it names the file
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d course document(s) were not imported", failed, len(files))
	}
	return nil
}

func documentFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	var files []string
	for _, e := range entries {
		if ext := strings.ToLower(filepath.Ext(e.Name())); !e.IsDir() && slices.Contains([]string{".yaml", ".yml", ".json"}, ext) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("import: %s holds no *.yaml, *.yml or *.json course documents", path)
	}
	return files, nil
}

// importBytes validates and imports one document, publishing it.
func importBytes(ctx context.Context, store *Store, name string, body []byte) (ImportResult, error) {
	format := FormatYAML
	if strings.EqualFold(filepath.Ext(name), ".json") {
		format = FormatJSON
	}
	p, err := ParseDocument(body, format)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %s", name, describe(err))
	}
	res, err := store.Import(ctx, p, ImportOptions{Mode: ModeUpsert, Publish: true})
	if err != nil {
		return res, fmt.Errorf("%s: %s", name, describe(err))
	}
	return res, nil
}

func describeImport(r ImportResult) string {
	switch {
	case r.Change == ChangeUnchanged && !r.Published:
		return fmt.Sprintf("unchanged (version %d)", r.Version)
	case r.Change == ChangeUnchanged:
		return fmt.Sprintf("published version %d", r.Version)
	}
	return fmt.Sprintf("%s, published version %d", strings.ReplaceAll(r.Change, "_", " "), r.Version)
}

// describe renders an application error with every field problem for a terminal.
func describe(err error) string {
	var e *cc.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// ExportDocument writes the course document of slug's latest version as YAML.
func ExportDocument(ctx context.Context, db *sqlx.DB, slug string, out io.Writer) error {
	d, err := NewStore(db).Document(ctx, slug)
	if err != nil {
		return errors.New(describe(err))
	}
	b, err := d.YAML()
	if err != nil {
		return err
	}
	_, err = out.Write(b)
	return err
}
