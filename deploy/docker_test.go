package deploy

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	cmd  string // upper case
	args string
}

// stage is one FROM ... [AS name] and what follows it.
type stage struct {
	from, name string
	body       []instruction
}

func parseDockerfile(t *testing.T) (args map[string]string, stages []stage) {
	t.Helper()
	f, err := os.Open(repoFile("Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	args = map[string]string{}
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	for _, line := range lines {
		cmd, rest, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(rest)}
		switch {
		case in.cmd == "ARG" && len(stages) == 0:
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		case in.cmd == "FROM":
			from, name, _ := strings.Cut(in.args, " AS ")
			for k, v := range args {
				from = strings.ReplaceAll(from, "${"+k+"}", v)
			}
			stages = append(stages, stage{from: strings.TrimSpace(from), name: strings.TrimSpace(name)})
		case len(stages) > 0:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a multi-stage build, got %d stage(s)", len(stages))
	}
	return args, stages
}

// runtimeFiles lists the paths the final image holds (its COPY destinations).
func runtimeFiles(t *testing.T) []string {
	t.Helper()
	_, stages := parseDockerfile(t)
	var out []string
	for _, in := range stages[len(stages)-1].body {
		if in.cmd == "COPY" {
			f := strings.Fields(in.args)
			out = append(out, f[len(f)-1])
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	_, stages := parseDockerfile(t)
	build, final := stages[0], stages[len(stages)-1]
	var buildRun strings.Builder
	for _, in := range build.body {
		if in.cmd == "RUN" {
			buildRun.WriteString(in.args + "\n")
		}
	}
	files := runtimeFiles(t)
	gomod, err := os.ReadFile(repoFile("go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	instr := func(cmd string) []string {
		var out []string
		for _, in := range final.body {
			if in.cmd == cmd {
				out = append(out, in.args)
			}
		}
		return out
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"builds with the Go release go.mod names", goVersion != nil && strings.HasPrefix(build.from, "golang:"+string(goVersion[1])+"-")},
		{"builds a static binary", strings.Contains(buildRun.String(), "CGO_ENABLED=0")},
		{"builds ./cmd/cybercampus", regexp.MustCompile(`go build .*\./cmd/cybercampus`).MatchString(buildRun.String())},
		{"the runtime holds nothing but what it copies", final.from == "scratch"},
		{"the runtime holds the binary", slices.Contains(files, "/cybercampus")},
		{"the runtime holds CA certificates", slices.Contains(files, "/etc/ssl/certs/ca-certificates.crt")},
		{"the runtime holds a user database", slices.Contains(files, "/etc/passwd") && slices.Contains(files, "/etc/group")},
		{"the runtime holds a tool for health checks", slices.Contains(files, "/bin/wget")},
		{"runs as a numeric non-root user", len(instr("USER")) == 1 && regexp.MustCompile(`^[1-9]\d*(:[1-9]\d*)?$`).MatchString(instr("USER")[0])},
		{"the binary is the entrypoint", slices.Equal(instr("ENTRYPOINT"), []string{`["/cybercampus"]`})},
		{"serves by default", slices.Equal(instr("CMD"), []string{`["serve"]`})},
		{"exposes the default HTTP_ADDR port", slices.Equal(instr("EXPOSE"), []string{"8080"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Fail()
			}
		})
	}
	t.Run("copies only from stages it defines", func(t *testing.T) {
		var names []string
		for _, st := range stages {
			names = append(names, st.name)
		}
		for _, st := range stages {
			for _, in := range st.body {
				if from, ok := strings.CutPrefix(in.args, "--from="); in.cmd == "COPY" && ok {
					if name, _, _ := strings.Cut(from, " "); !slices.Contains(names, name) {
						t.Errorf("COPY --from=%s: no such stage", name)
					}
				}
			}
		}
	})
	t.Run("the user exists in the image's user database", func(t *testing.T) {
		uid, _, _ := strings.Cut(instr("USER")[0], ":")
		if !strings.Contains(buildRun.String(), ":x:"+uid+":") {
			t.Errorf("no passwd entry for uid %s", uid)
		}
	})
}

// goPackage is what `go list -json` says of one package.
type goPackage struct {
	Dir        string
	Module     *struct{ Path string }
	GoFiles    []string
	EmbedFiles []string
}

// buildInputs lists every file (relative to the repository root) that
// `go build ./cmd/cybercampus` reads from the repository.
func buildInputs(t *testing.T) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-deps", "-json", "./cmd/cybercampus")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != "github.com/cybercampus/cybercampus" {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(files) < 20 {
		t.Fatalf("go list found only %v", files)
	}
	return files
}

// dockerignore is a .dockerignore: patterns in order, the last match wins.
type dockerignore []struct {
	re     *regexp.Regexp
	negate bool
}

func parseDockerignore(text string) dockerignore {
	var d dockerignore
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		neg := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/")
		var re strings.Builder
		for i := 0; i < len(line); i++ {
			switch {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case line[i] == '*':
				re.WriteString("[^/]*")
			case line[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(line[i : i+1]))
			}
		}
		// A pattern that matches a directory excludes everything below it.
		d = append(d, struct {
			re     *regexp.Regexp
			negate bool
		}{regexp.MustCompile("^" + re.String() + "(/.*)?$"), neg})
	}
	return d
}

// Excludes reports whether the file at path (slash-separated, relative to the
// context) stays out of the build context.
func (d dockerignore) Excludes(path string) bool {
	out := false
	for _, p := range d {
		if p.re.MatchString(path) {
			out = !p.negate
		}
	}
	return out
}

func TestDockerignore(t *testing.T) {
	text, err := os.ReadFile(repoFile(".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	ignore := parseDockerignore(string(text))
	t.Run("keeps every file the build reads", func(t *testing.T) {
		for _, f := range buildInputs(t) {
			if ignore.Excludes(f) {
				t.Errorf("%s is needed by go build but .dockerignore excludes it", f)
			}
		}
	})
	for _, f := range []string{".git/config", ".env", ".env.production", "bin/cybercampus", "deploy/compose.yaml", "certs/server.key"} {
		t.Run("leaves out "+f, func(t *testing.T) {
			if !ignore.Excludes(f) {
				t.Errorf("%s would be sent to the build", f)
			}
		})
	}
	t.Run("the matcher", func(t *testing.T) {
		d := parseDockerignore("bin\n**/*.key\n*.md\n!README.md\n")
		for path, want := range map[string]bool{
			"bin": true, "bin/x": true, "binary.go": false, "a/b/c.key": true, "c.key": true,
			"notes.md": true, "README.md": false, "docs/notes.md": false,
		} {
			if got := d.Excludes(path); got != want {
				t.Errorf("Excludes(%q) = %v, want %v", path, got, want)
			}
		}
	})
}

// TestCertificateFontInBinary backs the Dockerfile's claim that the image
// needs no font files: a package built into the binary embeds the font.
func TestCertificateFontInBinary(t *testing.T) {
	for _, f := range buildInputs(t) {
		if ext := strings.ToLower(filepath.Ext(f)); ext == ".ttf" || ext == ".otf" {
			return
		}
	}
	t.Error("no .ttf or .otf file is embedded in cybercampus; the image would need font files")
}
