package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// composeServices are the services the single-host stack must have.
var composeServices = []string{"postgres", "redis", "migrate", "api", "worker", "scheduler", "proxy", "mailpit", "asynqmon"}

// interpolate expands ${NAME:-default}, ${NAME-default} and ${NAME} the way
// compose does with an empty environment, and $$ to $.
var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}`)

func interpolate(v string) string {
	return interpolation.ReplaceAllStringFunc(v, func(x string) string {
		if x == "$$" {
			return "$"
		}
		sub := interpolation.FindStringSubmatch(x)
		return sub[3] // the default, or empty
	})
}

// isCyberCampusService reports whether a compose service runs the CyberCampus image.
func isCyberCampusService(svc obj) bool {
	repo, _ := splitImage(s(svc, "image"))
	return m(svc, "build") != nil || repo == "cybercampus"
}

// checkCompose checks the single-host stack against the program and the image.
func checkCompose(doc obj, routes routeSet, imageFiles []string) problems {
	var p problems
	services := m(doc, "services")
	for _, want := range composeServices {
		if services[want] == nil {
			p.addf("service %s: missing", want)
		}
	}
	hostPorts := map[string]string{}
	for name, v := range services {
		svc := m(v)
		if s(svc, "image") == "" && m(svc, "build") == nil {
			p.addf("service %s: needs an image or a build", name)
		}
		if repo, tag := splitImage(s(svc, "image")); !isCyberCampusService(svc) && (tag == "" || tag == "latest") {
			p.addf("service %s: pin image %s to a version", name, repo)
		}
		for dep, cond := range m(svc, "depends_on") {
			if services[dep] == nil {
				p.addf("service %s: depends on unknown service %s", name, dep)
			}
			if c := s(cond, "condition"); c != "service_started" && c != "service_healthy" && c != "service_completed_successfully" {
				p.addf("service %s: depends on %s with unknown condition %q", name, dep, c)
			} else if c == "service_healthy" && m(services[dep], "healthcheck") == nil {
				p.addf("service %s: waits for %s to be healthy, but it has no health check", name, dep)
			}
		}
		for _, port := range strs(l(svc, "ports")) {
			host := hostPort(interpolate(port))
			if other, dup := hostPorts[host]; dup {
				p.addf("services %s and %s: both publish host port %s", other, name, host)
			}
			hostPorts[host] = name
		}
		checkHealthcheck(&p, name, svc, routes)
		if isCyberCampusService(svc) {
			checkCyberCampusService(&p, name, svc, services, imageFiles)
		}
	}
	api := m(services, "api")
	if n := s(api, "deploy", "replicas"); n == "" || n == "1" || n == "0" {
		p.addf("service api: must run at least 2 replicas, got %q", n)
	}
	if len(l(api, "ports")) > 0 {
		p.addf("service api: must publish no host port (replicas would compete for it); the proxy does")
	}
	if !strings.Contains(strings.Join(strs(l(api, "healthcheck", "test")), " "), "/readyz") {
		p.addf("service api: its health check must call /readyz")
	}
	if c := s(api, "depends_on", "migrate", "condition"); c != "service_completed_successfully" {
		p.addf("service api: must start after migrate completed successfully, got %q", c)
	}
	if n := s(services, "scheduler", "deploy", "replicas"); n != "" && n != "1" {
		p.addf("service scheduler: exactly one replica, got %s", n)
	}
	if args := strs(l(services, "asynqmon", "command")); !slices.ContainsFunc(args, func(a string) bool {
		return strings.HasPrefix(a, "--redis-addr=") && services[strings.Split(strings.TrimPrefix(a, "--redis-addr="), ":")[0]] != nil
	}) {
		p.addf("service asynqmon: --redis-addr must name the redis service, got %v", args)
	}
	return p
}

// hostPort returns the published host address of a short port syntax entry.
func hostPort(port string) string {
	parts := strings.Split(port, ":")
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ":")
}

func checkHealthcheck(p *problems, name string, svc obj, routes routeSet) {
	test := strs(l(svc, "healthcheck", "test"))
	for _, arg := range test {
		if !strings.HasPrefix(arg, "http://") && !strings.HasPrefix(arg, "https://") {
			continue
		}
		u, err := url.Parse(arg)
		if err != nil {
			p.addf("service %s: health check URL %q: %v", name, arg, err)
			continue
		}
		if name != "mailpit" && name != "asynqmon" && !routes.Has(u.Path) {
			p.addf("service %s: health check path %q is not a route", name, u.Path)
		}
	}
}

func checkCyberCampusService(p *problems, name string, svc, services obj, imageFiles []string) {
	cmd := strs(l(svc, "command"))
	if len(cmd) == 0 || !slices.Contains(roles, cmd[0]) {
		p.addf("service %s: command %v does not start with a role %v", name, cmd, roles)
	}
	if len(cmd) > 0 && cmd[0] == "migrate" && (len(cmd) != 2 || cmd[1] != "up") {
		p.addf("service %s: the migration step runs [migrate up]", name)
	}
	env := map[string]string{}
	for k, v := range m(svc, "environment") {
		if !isConfigName(k) {
			p.addf("service %s: %s is not a variable the program reads (config.Names)", name, k)
		}
		env[k] = interpolate(s(v))
	}
	if len(m(svc, "environment")) == 0 {
		p.addf("service %s: environment (as a mapping) is required", name)
	}
	if err := loadConfig(env); err != nil {
		p.addf("service %s: the program would refuse this environment: %v", name, err)
	}
	for _, v := range []string{"DATABASE_URL", "REDIS_URL", "SMTP_URL"} {
		u, err := url.Parse(env[v])
		if err != nil || services[u.Hostname()] == nil {
			p.addf("service %s: %s must point at a service of this file", name, v)
		}
	}
	if env["MIGRATE_ON_START"] != "false" {
		p.addf("service %s: MIGRATE_ON_START must be false: the migrate service migrates", name)
	}
	if test := strs(l(svc, "healthcheck", "test")); len(test) > 0 {
		// The image has no shell: only an exec-form check of a file the image holds runs.
		if test[0] != "CMD" || len(test) < 2 || !slices.Contains(imageFiles, test[1]) {
			p.addf("service %s: health check %v must be [CMD <a file in the image> ...]; the image holds %v", name, test, imageFiles)
		}
	}
	if s(svc, "read_only") != "true" || !slices.Contains(strs(l(svc, "cap_drop")), "ALL") {
		p.addf("service %s: must run read-only with every capability dropped", name)
	}
}

func loadCompose(t *testing.T) obj {
	t.Helper()
	docs := readFileDocs(t, "compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml: want one document, got %d", len(docs))
	}
	return docs[0]
}

func TestCompose(t *testing.T) {
	doc := loadCompose(t)
	checkCompose(doc, loadRoutes(t), runtimeFiles(t)).report(t)
	t.Run("bind-mounted files exist", func(t *testing.T) {
		for name, svc := range m(doc, "services") {
			for _, v := range strs(l(svc, "volumes")) {
				if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, ".") {
					if _, err := os.Stat(src); err != nil {
						t.Errorf("service %s: %v", name, err)
					}
				}
			}
		}
	})
	t.Run("the build context is the repository with its Dockerfile", func(t *testing.T) {
		for name, svc := range m(doc, "services") {
			if b := m(svc, "build"); b != nil {
				if _, err := os.Stat(filepath.Join(s(b, "context"), s(b, "dockerfile"))); err != nil {
					t.Errorf("service %s: %v", name, err)
				}
				if _, err := os.Stat(filepath.Join(s(b, "context"), "go.mod")); err != nil {
					t.Errorf("service %s: build context is not the repository: %v", name, err)
				}
			}
		}
	})
	t.Run("the proxy balances over the api service on its port", func(t *testing.T) {
		caddy, err := os.ReadFile("compose/Caddyfile")
		if err != nil {
			t.Fatal(err)
		}
		port := strings.TrimPrefix(s(doc, "services", "api", "environment", "HTTP_ADDR"), ":")
		if !strings.Contains(string(caddy), "dynamic a api "+port) {
			t.Errorf("Caddyfile does not resolve every api replica on port %s", port)
		}
		if !strings.Contains(string(caddy), "respond @metrics 404") {
			t.Error("Caddyfile must keep /metrics off the published port")
		}
	})
}

// TestComposeChecksCatch breaks the compose file one way at a time and
// expects checkCompose to notice.
func TestComposeChecksCatch(t *testing.T) {
	routes, files := loadRoutes(t), runtimeFiles(t)
	tests := []struct {
		name   string
		mutate func(svcs obj)
		want   []string
	}{
		{"an unknown variable", func(svcs obj) { m(svcs, "worker", "environment")["SMTP_HOST"] = "mailpit" }, []string{"worker", "SMTP_HOST"}},
		{"a published API port", func(svcs obj) { m(svcs, "api")["ports"] = []any{"8080:8080"} }, []string{"publish no host port"}},
		{"one API replica", func(svcs obj) { m(svcs, "api", "deploy")["replicas"] = 1 }, []string{"at least 2 replicas"}},
		{"a health check path that is no route", func(svcs obj) {
			m(svcs, "api", "healthcheck")["test"] = []any{"CMD", "/bin/wget", "-q", "http://127.0.0.1:8080/ready"}
		}, []string{"/ready\"", "not a route"}},
		{"a health check needing a shell", func(svcs obj) {
			m(svcs, "api", "healthcheck")["test"] = []any{"CMD-SHELL", "curl -f http://127.0.0.1:8080/readyz"}
		}, []string{"CMD <a file in the image>"}},
		{"a health check with a tool the image lacks", func(svcs obj) {
			m(svcs, "api", "healthcheck")["test"] = []any{"CMD", "/usr/bin/curl", "-f", "http://127.0.0.1:8080/readyz"}
		}, []string{"CMD <a file in the image>"}},
		{"an unknown role", func(svcs obj) { m(svcs, "worker")["command"] = []any{"jobs"} }, []string{"does not start with a role"}},
		{"a value the program refuses", func(svcs obj) { m(svcs, "api", "environment")["LOG_LEVEL"] = "verbose" }, []string{"would refuse", "LOG_LEVEL"}},
		{"two schedulers", func(svcs obj) { m(svcs, "scheduler", "deploy")["replicas"] = 2 }, []string{"exactly one replica"}},
		{"emails to nowhere", func(svcs obj) { m(svcs, "worker", "environment")["SMTP_URL"] = "smtp://mail:25" }, []string{"SMTP_URL"}},
		{"a host port twice", func(svcs obj) { m(svcs, "asynqmon")["ports"] = []any{"127.0.0.1:8025:8080"} }, []string{"host port 127.0.0.1:8025"}},
		{"an unpinned image", func(svcs obj) { m(svcs, "mailpit")["image"] = "axllent/mailpit:latest" }, []string{"pin image"}},
		{"a missing service", func(svcs obj) { delete(svcs, "mailpit") }, []string{"service mailpit: missing"}},
		{"migrations on start", func(svcs obj) { m(svcs, "api", "environment")["MIGRATE_ON_START"] = "true" }, []string{"MIGRATE_ON_START"}},
	}
	if p := checkCompose(loadCompose(t), routes, files); len(p) > 0 {
		t.Fatalf("the good file has problems: %v", p)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := loadCompose(t) // decoded afresh: a YAML alias becomes a copy of its anchor
			tt.mutate(m(doc, "services"))
			if p := checkCompose(doc, routes, files); !p.has(tt.want...) {
				t.Errorf("no problem mentions %q; got %v", tt.want, p)
			}
		})
	}
}

func TestInterpolate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${A:-x}", "x"},
		{"${A-x}", "x"},
		{"${A}", ""},
		{"a$$b", "a$b"},
		{"postgres://u:${P:-pw}@h/db", "postgres://u:pw@h/db"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := interpolate(tt.in); got != tt.want {
				t.Errorf("interpolate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestComposePostgresSettings checks that the compose PostgreSQL runs with
// every setting of deploy/postgres/cybercampus.conf (the image has no conf.d,
// so they are repeated as -c flags) and that the memory settings are there.
func TestComposePostgresSettings(t *testing.T) {
	conf, err := os.ReadFile("postgres/cybercampus.conf")
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, line := range strings.Split(string(conf), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if name, value, ok := strings.Cut(line, "="); ok {
			settings[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	if len(settings) < 5 {
		t.Fatalf("cybercampus.conf has %d settings, want the WAL and checkpoint ones: %v", len(settings), settings)
	}
	cmd := strs(l(m(loadCompose(t), "services"), "postgres", "command"))
	if len(cmd) == 0 || cmd[0] != "postgres" {
		t.Fatalf("postgres command %v does not start the server", cmd)
	}
	flags := map[string]string{}
	for i := 1; i < len(cmd); i++ {
		if cmd[i] != "-c" || i+1 == len(cmd) {
			t.Fatalf("postgres command %v: want only -c name=value pairs", cmd)
		}
		i++
		name, value, _ := strings.Cut(interpolate(cmd[i]), "=")
		flags[name] = value
	}
	for name, value := range settings {
		if flags[name] != value {
			t.Errorf("postgres command sets %s=%q, cybercampus.conf %q", name, flags[name], value)
		}
	}
	for _, name := range []string{"shared_buffers", "effective_cache_size"} {
		if flags[name] == "" {
			t.Errorf("postgres command does not size %s", name)
		}
	}
}
