package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The pgbench scripts must run the statements the handlers run: these tests
// read the SQL constants out of the learners package source (whichever of its
// files holds them) and fail when a handler's SQL changed without its script.

// packageConsts returns the string constants of the non-test Go files of
// dir, package-level ones by name and function-local ones as "func.name"; a
// constant may be built from constants of other files.
func packageConsts(t *testing.T, dir string) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	consts := map[string]string{}
	var eval func(e ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		case *ast.BinaryExpr:
			a, ok1 := eval(e.X)
			b, ok2 := eval(e.Y)
			return a + b, ok1 && ok2 && e.Op == token.ADD
		}
		return "", false
	}
	collect := func(prefix string, d *ast.GenDecl) {
		if d.Tok != token.CONST {
			return
		}
		for _, s := range d.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if v, ok := eval(vs.Values[i]); ok {
						consts[prefix+n.Name] = v
					}
				}
			}
		}
	}
	// Package-level constants twice, so that one built from another file's
	// constant is found whatever the order of the files.
	for range 2 {
		for _, f := range files {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok {
					collect("", g)
				}
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if ds, ok := n.(*ast.DeclStmt); ok {
					if g, ok := ds.Decl.(*ast.GenDecl); ok {
						collect(fn.Name.Name+".", g)
					}
				}
				return true
			})
		}
	}
	return consts
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestPgbenchScriptsRunTheHandlersSQL(t *testing.T) {
	learners := packageConsts(t, filepath.Join("..", "..", "..", "learners"))
	tests := []struct {
		name, script, source string
		subst                []string // old, new pairs applied to the handler's SQL
	}{
		{"record progress", "progress1.sql", learners["recordProgressSQL"], []string{
			"unnest($2::uuid[])", "unnest(string_to_array(:lid, ',')::uuid[])",
			"unnest($3::uuid[], $4::timestamptz[], $5::uuid[])",
			"unnest(ARRAY[gen_random_uuid()], ARRAY[now()], string_to_array(:lid, ',')::uuid[])", "$1", ":uid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.source == "" {
				t.Fatalf("the handler's SQL constant was not found in learners/: update this test and bench/sql/%s", tt.script)
			}
			want := normalize(strings.NewReplacer(tt.subst...).Replace(tt.source))
			script, err := os.ReadFile(filepath.Join("..", "..", "sql", tt.script))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(normalize(string(script)), want+";") {
				t.Errorf("bench/sql/%s no longer runs the handler's statement; copy it again:\n%s", tt.script, want)
			}
		})
	}
}
