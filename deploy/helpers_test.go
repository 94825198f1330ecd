package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/openapi"
)

// obj is one decoded YAML document.
type obj = map[string]any

// roles are the first arguments the cybercampus binary accepts as a
// long-running or one-shot role in a deployment.
var roles = []string{"serve", "api", "worker", "scheduler", "migrate", "seed"}

// opsRoutes are the operations endpoints the web package registers itself.
var opsRoutes = []string{"/healthz", "/readyz", "/metrics", "/openapi.yaml"}

// problems collects what a check found wrong.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// report fails t with every problem, one a line.
func (p problems) report(t *testing.T) {
	t.Helper()
	for _, s := range p {
		t.Error(s)
	}
}

// has reports whether any problem contains every one of the fragments.
func (p problems) has(fragments ...string) bool {
	for _, s := range p {
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(s, f)
		}
		if ok {
			return true
		}
	}
	return false
}

// readDocs decodes every YAML document of a file (or byte slice), skipping
// empty ones.
func readDocs(data []byte) ([]obj, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []obj
	for {
		var o obj
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if o != nil {
			out = append(out, o)
		}
	}
}

func readFileDocs(t *testing.T, path string) []obj {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := readDocs(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return docs
}

// routeSet holds every path the API serves: the OpenAPI document's paths and
// the operations endpoints.
type routeSet struct{ paths []string }

func loadRoutes(t *testing.T) routeSet {
	t.Helper()
	var doc struct {
		Paths map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("openapi.yaml has no paths")
	}
	r := routeSet{paths: slices.Clone(opsRoutes)}
	for p := range doc.Paths {
		if !slices.Contains(r.paths, p) {
			r.paths = append(r.paths, p)
		}
	}
	sort.Strings(r.paths)
	return r
}

// Has reports whether path (without query) is served: equal to an OpenAPI
// path, where a {parameter} segment matches any one non-empty segment.
func (r routeSet) Has(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	for _, p := range r.paths {
		if templateMatch(p, path) {
			return true
		}
	}
	return false
}

// public are the routes meant for clients: everything but the operations
// endpoints that only the platform itself calls.
func (r routeSet) public() []string {
	var out []string
	for _, p := range r.paths {
		if p != "/healthz" && p != "/readyz" && p != "/metrics" {
			out = append(out, p)
		}
	}
	return out
}

func templateMatch(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// isConfigName reports whether the program reads the environment variable.
func isConfigName(name string) bool { return slices.Contains(config.Names, name) }

// loadConfig checks a whole environment the way the program does at start.
func loadConfig(env map[string]string) error {
	_, err := config.Load(func(k string) string { return env[k] })
	return err
}

// Accessors over decoded YAML; a missing or mistyped value is the zero value.

func m(v any, keys ...string) obj {
	for _, k := range keys {
		mm, _ := v.(obj)
		v = mm[k]
	}
	mm, _ := v.(obj)
	return mm
}

func l(v any, keys ...string) []any {
	for _, k := range keys {
		mm, _ := v.(obj)
		v = mm[k]
	}
	s, _ := v.([]any)
	return s
}

func s(v any, keys ...string) string {
	for _, k := range keys {
		mm, _ := v.(obj)
		v = mm[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func strs(v []any) []string {
	out := make([]string, 0, len(v))
	for _, x := range v {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// repoFile is a path relative to the repository root (the tests run in deploy/).
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

// deepCopy copies decoded YAML so a test can break it without touching others.
func deepCopy(v any) any {
	switch x := v.(type) {
	case obj:
		c := make(obj, len(x))
		for k, e := range x {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = deepCopy(e)
		}
		return c
	default:
		return v
	}
}
