package deploy

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// kubeDirs are the kustomizations that must build into a working deployment.
var kubeDirs = []string{"kubernetes/base", "kubernetes/overlays/dev", "kubernetes/overlays/production"}

var knownKinds = []string{
	"Namespace", "ServiceAccount", "ConfigMap", "Secret", "Deployment", "Job", "Service",
	"Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
}

// isCyberCampus reports whether a container runs the CyberCampus image
// (named cybercampus, with or without a registry and tag).
func isCyberCampus(c obj) bool {
	repo, _ := splitImage(s(c, "image"))
	return repo == "cybercampus" || strings.HasSuffix(repo, "/cybercampus")
}

// checkKube checks a built set of Kubernetes objects: one deployment of
// CyberCampus that fits together.
func checkKube(docs []obj, routes routeSet) problems {
	var p problems
	byID := map[string]obj{}
	for _, o := range docs {
		if s(o, "apiVersion") == "" || s(o, "kind") == "" || s(o, "metadata", "name") == "" {
			p.addf("%s: apiVersion, kind and metadata.name are required", id(o))
		}
		if !slices.Contains(knownKinds, s(o, "kind")) {
			p.addf("%s: unexpected kind", id(o))
		}
		if _, dup := byID[id(o)]; dup {
			p.addf("%s: defined twice", id(o))
		}
		byID[id(o)] = o
	}
	for _, want := range []string{
		"Deployment/cybercampus-api", "Deployment/cybercampus-worker", "Deployment/cybercampus-scheduler",
		"Service/cybercampus-api", "Ingress/cybercampus", "Job/cybercampus-migrate",
		"HorizontalPodAutoscaler/cybercampus-api", "HorizontalPodAutoscaler/cybercampus-worker",
		"PodDisruptionBudget/cybercampus-api", "PodDisruptionBudget/cybercampus-worker",
		"ConfigMap/cybercampus-config", "Secret/cybercampus-secrets", "ServiceAccount/cybercampus",
	} {
		if byID[want] == nil {
			p.addf("%s: missing", want)
		}
	}
	hpaTargets := map[string]bool{}
	for _, o := range docs {
		switch s(o, "kind") {
		case "Deployment", "Job":
			checkWorkload(&p, o, byID, routes)
		case "Service":
			checkService(&p, o, docs)
		case "Ingress":
			checkIngress(&p, o, byID, routes)
		case "HorizontalPodAutoscaler":
			ref := m(o, "spec", "scaleTargetRef")
			target := s(ref, "kind") + "/" + s(ref, "name")
			hpaTargets[target] = true
			if byID[target] == nil {
				p.addf("%s: scale target %s does not exist", id(o), target)
			}
			if min, max := s(o, "spec", "minReplicas"), s(o, "spec", "maxReplicas"); min == "" || max == "" {
				p.addf("%s: minReplicas and maxReplicas are required", id(o))
			}
		case "PodDisruptionBudget":
			if len(selectedWorkloads(m(o, "spec", "selector", "matchLabels"), docs)) == 0 {
				p.addf("%s: selector matches no workload's pods", id(o))
			}
		case "Secret":
			checkSecret(&p, o)
		case "NetworkPolicy":
			checkNetworkPolicy(&p, o, docs)
		case "Namespace":
			if s(o, "metadata", "labels", "pod-security.kubernetes.io/enforce") != "restricted" {
				p.addf("%s: enforce the restricted pod security standard", id(o))
			}
		case "ConfigMap":
			if s(o, "metadata", "name") == "cybercampus-config" {
				for k := range m(o, "data") {
					if !isConfigName(k) {
						p.addf("%s: %s is not a variable the program reads (config.Names)", id(o), k)
					}
				}
			}
		}
	}
	for target := range hpaTargets {
		if d := byID[target]; d != nil && m(d, "spec")["replicas"] != nil {
			p.addf("%s: autoscaled, so it must not set replicas (an apply would reset the autoscaler)", target)
		}
	}
	if hpaTargets["Deployment/cybercampus-scheduler"] {
		p.addf("Deployment/cybercampus-scheduler: must not be autoscaled")
	}
	if sched := byID["Deployment/cybercampus-scheduler"]; sched != nil {
		if s(sched, "spec", "replicas") != "1" {
			p.addf("%s: exactly one replica, got %q", id(sched), s(sched, "spec", "replicas"))
		}
		if s(sched, "spec", "strategy", "type") != "Recreate" {
			p.addf("%s: strategy must be Recreate so two never run at once", id(sched))
		}
	}
	if !hasDefaultDeny(docs) {
		p.addf("NetworkPolicy: a default deny of ingress for every pod is missing")
	}
	return p
}

func checkWorkload(p *problems, o obj, byID map[string]obj, routes routeSet) {
	tmplLabels := m(o, "spec", "template", "metadata", "labels")
	if s(o, "kind") == "Deployment" {
		sel := m(o, "spec", "selector", "matchLabels")
		if len(sel) == 0 {
			p.addf("%s: spec.selector.matchLabels is required", id(o))
		}
		if !labelsMatch(sel, tmplLabels) {
			p.addf("%s: selector %v does not match template labels %v", id(o), sel, tmplLabels)
		}
	}
	ps := podSpec(o)
	if s(o, "kind") == "Job" && s(ps, "restartPolicy") != "Never" && s(ps, "restartPolicy") != "OnFailure" {
		p.addf("%s: restartPolicy must be Never or OnFailure", id(o))
	}
	cs := containers(o)
	if len(cs) == 0 {
		p.addf("%s: no containers", id(o))
	}
	for _, c := range cs {
		cid := id(o) + " container " + s(c, "name")
		checkSecurity(p, cid, ps, c)
		for _, r := range []string{"requests", "limits"} {
			for _, res := range []string{"cpu", "memory"} {
				if s(c, "resources", r, res) == "" {
					p.addf("%s: resources.%s.%s is required", cid, r, res)
				}
			}
		}
		for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
			pr := m(c, probe)
			if pr == nil || m(pr, "httpGet") == nil {
				continue
			}
			if path := s(pr, "httpGet", "path"); !routes.Has(path) {
				p.addf("%s: %s path %q is not a route", cid, probe, path)
			}
			if port := s(pr, "httpGet", "port"); !containerHasPort(c, port) {
				p.addf("%s: %s port %q is not a container port", cid, probe, port)
			}
		}
		if isCyberCampus(c) {
			checkCyberCampusContainer(p, cid, o, c, byID)
		}
	}
}

func checkSecurity(p *problems, cid string, ps, c obj) {
	sc, psc := m(c, "securityContext"), m(ps, "securityContext")
	if sc == nil {
		p.addf("%s: securityContext is required", cid)
		return
	}
	if s(sc, "runAsNonRoot") != "true" && s(psc, "runAsNonRoot") != "true" {
		p.addf("%s: runAsNonRoot must be true", cid)
	}
	if s(sc, "runAsUser") == "0" || s(psc, "runAsUser") == "0" {
		p.addf("%s: must not run as user 0", cid)
	}
	if s(sc, "readOnlyRootFilesystem") != "true" {
		p.addf("%s: readOnlyRootFilesystem must be true", cid)
	}
	if s(sc, "allowPrivilegeEscalation") != "false" {
		p.addf("%s: allowPrivilegeEscalation must be false", cid)
	}
	if s(sc, "privileged") == "true" {
		p.addf("%s: must not be privileged", cid)
	}
	if !slices.Contains(strs(l(sc, "capabilities", "drop")), "ALL") || len(l(sc, "capabilities", "add")) > 0 {
		p.addf("%s: capabilities must drop ALL and add none", cid)
	}
	if s(sc, "seccompProfile", "type") != "RuntimeDefault" && s(psc, "seccompProfile", "type") != "RuntimeDefault" {
		p.addf("%s: seccompProfile must be RuntimeDefault", cid)
	}
}

// checkCyberCampusContainer checks the role it runs and its environment: every
// variable is one the program reads, every reference resolves, and the whole
// environment passes the program's own configuration check.
func checkCyberCampusContainer(p *problems, cid string, o, c obj, byID map[string]obj) {
	args := strs(l(c, "args"))
	if len(l(c, "command")) > 0 {
		p.addf("%s: set args, not command (the image's entrypoint is the binary)", cid)
	}
	if len(args) == 0 || !slices.Contains(roles, args[0]) {
		p.addf("%s: args %v do not start with a role %v", cid, args, roles)
	}
	env := map[string]string{}
	for _, ef := range l(c, "envFrom") {
		switch {
		case m(ef, "configMapRef") != nil:
			cm := byID["ConfigMap/"+s(ef, "configMapRef", "name")]
			if cm == nil {
				p.addf("%s: envFrom ConfigMap %q does not exist", cid, s(ef, "configMapRef", "name"))
				continue
			}
			for k, v := range m(cm, "data") {
				if !isConfigName(k) {
					p.addf("%s: %s (from ConfigMap %s) is not a variable the program reads", cid, k, s(cm, "metadata", "name"))
				}
				env[k] = s(v)
			}
		default:
			p.addf("%s: envFrom may only name a ConfigMap; map secret keys one by one", cid)
		}
	}
	for _, e := range l(c, "env") {
		name := s(e, "name")
		if !isConfigName(name) {
			p.addf("%s: env %s is not a variable the program reads (config.Names)", cid, name)
		}
		switch {
		case m(e, "valueFrom", "secretKeyRef") != nil:
			ref := m(e, "valueFrom", "secretKeyRef")
			sec := byID["Secret/"+s(ref, "name")]
			v, ok := m(sec, "stringData")[s(ref, "key")]
			if !ok {
				p.addf("%s: env %s: Secret %s has no key %s", cid, name, s(ref, "name"), s(ref, "key"))
			}
			env[name] = s(v)
		case m(e, "valueFrom", "configMapKeyRef") != nil:
			ref := m(e, "valueFrom", "configMapKeyRef")
			v, ok := m(byID["ConfigMap/"+s(ref, "name")], "data")[s(ref, "key")]
			if !ok {
				p.addf("%s: env %s: ConfigMap %s has no key %s", cid, name, s(ref, "name"), s(ref, "key"))
			}
			env[name] = s(v)
		case m(e, "valueFrom") != nil:
			p.addf("%s: env %s: only secretKeyRef and configMapKeyRef are expected", cid, name)
		default:
			env[name] = s(e, "value")
		}
	}
	if err := loadConfig(env); err != nil {
		p.addf("%s: the program would refuse this environment: %v", cid, err)
	}
	if len(args) > 0 && args[0] != "migrate" && env["MIGRATE_ON_START"] != "false" {
		p.addf("%s: MIGRATE_ON_START must be false: the migration Job migrates", cid)
	}
	if len(args) > 0 && args[0] == "api" {
		if !containerHasPort(c, "http") {
			p.addf("%s: the API needs a container port named http", cid)
		}
		if s(c, "livenessProbe", "httpGet", "path") != "/healthz" {
			p.addf("%s: the liveness probe must call /healthz", cid)
		}
		if s(c, "readinessProbe", "httpGet", "path") != "/readyz?check=postgres" {
			p.addf("%s: the readiness probe must call /readyz?check=postgres (a Redis outage must not empty the Service)", cid)
		}
	}
	if len(args) > 0 && args[0] == "migrate" && (len(args) != 2 || args[1] != "up" || s(o, "kind") != "Job") {
		p.addf("%s: migrations run as a Job with args [migrate up]", cid)
	}
}

func containerHasPort(c obj, port string) bool {
	for _, pt := range l(c, "ports") {
		if s(pt, "name") == port || s(pt, "containerPort") == port {
			return true
		}
	}
	return false
}

// labelsMatch reports whether every selector label is among the labels.
func labelsMatch(selector, labels obj) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if s(labels, k) != s(v) {
			return false
		}
	}
	return true
}

// selectedWorkloads lists the workloads whose pods carry every selector label.
func selectedWorkloads(selector obj, docs []obj) []obj {
	var out []obj
	for _, o := range docs {
		if podSpec(o) != nil && labelsMatch(selector, m(o, "spec", "template", "metadata", "labels")) {
			out = append(out, o)
		}
	}
	return out
}

func checkService(p *problems, o obj, docs []obj) {
	sel := m(o, "spec", "selector")
	targets := selectedWorkloads(sel, docs)
	if len(targets) == 0 {
		p.addf("%s: selector %v matches no pods", id(o), sel)
		return
	}
	for _, port := range l(o, "spec", "ports") {
		tp := s(port, "targetPort")
		for _, w := range targets {
			found := false
			for _, c := range containers(w) {
				found = found || containerHasPort(c, tp)
			}
			if !found {
				p.addf("%s: targetPort %q is not a port of %s", id(o), tp, id(w))
			}
		}
	}
	if s(o, "metadata", "name") == "cybercampus-api" {
		for _, w := range targets {
			if s(w, "metadata", "name") != "cybercampus-api" {
				p.addf("%s: selects %s as well as the API pods", id(o), id(w))
			}
		}
	}
}

func checkIngress(p *problems, o obj, byID map[string]obj, routes routeSet) {
	var paths []obj
	for _, r := range l(o, "spec", "rules") {
		for _, pa := range l(r, "http", "paths") {
			paths = append(paths, pa.(obj))
		}
	}
	if len(paths) == 0 {
		p.addf("%s: no paths", id(o))
	}
	for _, pa := range paths {
		path := s(pa, "path")
		svc := byID["Service/"+s(pa, "backend", "service", "name")]
		if svc == nil {
			p.addf("%s: path %s: backend Service %q does not exist", id(o), path, s(pa, "backend", "service", "name"))
		} else if !serviceHasPort(svc, s(pa, "backend", "service", "port", "name"), s(pa, "backend", "service", "port", "number")) {
			p.addf("%s: path %s: Service %s has no such port", id(o), path, id(svc))
		}
		served := false
		for _, r := range routes.public() {
			served = served || pathCovers(s(pa, "pathType"), path, r)
		}
		if !served {
			p.addf("%s: path %s serves no route of the API", id(o), path)
		}
		for _, internal := range []string{"/metrics", "/healthz", "/readyz"} {
			if pathCovers(s(pa, "pathType"), path, internal) {
				p.addf("%s: path %s exposes %s outside the cluster", id(o), path, internal)
			}
		}
	}
	for _, r := range routes.public() {
		covered := false
		for _, pa := range paths {
			covered = covered || pathCovers(s(pa, "pathType"), s(pa, "path"), r)
		}
		if !covered {
			p.addf("%s: route %s is not reachable through the Ingress", id(o), r)
		}
	}
}

// pathCovers reports whether an Ingress path of pathType routes the request path.
func pathCovers(pathType, path, route string) bool {
	if pathType == "Exact" {
		return path == route
	}
	path = strings.TrimSuffix(path, "/")
	return path == "" || route == path || strings.HasPrefix(route, path+"/")
}

func serviceHasPort(svc obj, name, number string) bool {
	for _, pt := range l(svc, "spec", "ports") {
		if (name != "" && s(pt, "name") == name) || (number != "" && s(pt, "port") == number) {
			return true
		}
	}
	return false
}

func checkSecret(p *problems, o obj) {
	if len(m(o, "data")) > 0 {
		p.addf("%s: use stringData with placeholders; data would hold real, encoded secrets", id(o))
	}
	for k, v := range m(o, "stringData") {
		if !strings.Contains(s(v), "REPLACE_ME") {
			p.addf("%s: %s must be a REPLACE_ME placeholder, never a real secret", id(o), k)
		}
	}
}

// checkNetworkPolicy allows traffic from outside the namespace only into
// the API pods.
func checkNetworkPolicy(p *problems, o obj, docs []obj) {
	selected := selectedWorkloads(m(o, "spec", "podSelector", "matchLabels"), docs)
	if len(m(o, "spec", "podSelector")) == 0 {
		selected = nil // the default deny: checked by hasDefaultDeny
	}
	for _, rule := range l(o, "spec", "ingress") {
		external := len(l(rule, "from")) == 0
		for _, f := range l(rule, "from") {
			external = external || m(f, "namespaceSelector") != nil || m(f, "ipBlock") != nil
		}
		if !external {
			continue
		}
		if len(m(o, "spec", "podSelector")) == 0 {
			p.addf("%s: admits traffic from outside the namespace into every pod", id(o))
		}
		for _, w := range selected {
			if s(w, "metadata", "name") != "cybercampus-api" {
				p.addf("%s: admits traffic from outside the namespace into %s; only the API may be reached", id(o), id(w))
			}
		}
	}
}

func hasDefaultDeny(docs []obj) bool {
	for _, o := range docs {
		if s(o, "kind") == "NetworkPolicy" && len(m(o, "spec", "podSelector")) == 0 &&
			slices.Contains(strs(l(o, "spec", "policyTypes")), "Ingress") && len(l(o, "spec", "ingress")) == 0 {
			return true
		}
	}
	return false
}

func renderT(t *testing.T, dir string) []obj {
	t.Helper()
	docs, err := render(dir)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestKubernetesManifests(t *testing.T) {
	routes := loadRoutes(t)
	for _, dir := range kubeDirs {
		t.Run(dir, func(t *testing.T) {
			checkKube(renderT(t, dir), routes).report(t)
		})
	}
}

// TestKubernetesFilesParse parses every YAML document of every file under
// kubernetes/, whether or not a kustomization lists it, so that none rots.
func TestKubernetesFilesParse(t *testing.T) {
	listed := map[string]bool{}
	n := 0
	err := filepath.WalkDir("kubernetes", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		for _, doc := range readFileDocs(t, path) {
			n++
			if s(doc, "kind") == "" || s(doc, "apiVersion") == "" {
				t.Errorf("%s: a document without apiVersion or kind", path)
			}
		}
		listed[path] = false
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every file is used by some kustomization.
	for _, dir := range append(slices.Clone(kubeDirs), "kubernetes/components/pgbouncer") {
		k, err := readKustomization(dir)
		if err != nil {
			t.Fatal(err)
		}
		listed[filepath.Join(dir, "kustomization.yaml")] = true
		for _, r := range append(strs(l(k, "resources")), strs(l(k, "components"))...) {
			listed[filepath.Join(dir, r)] = true
		}
		for _, pa := range l(k, "patches") {
			listed[filepath.Join(dir, s(pa, "path"))] = true
		}
	}
	for path, used := range listed {
		if !used {
			t.Errorf("%s: no kustomization uses it", path)
		}
	}
	if n < 20 {
		t.Errorf("parsed only %d documents", n)
	}
}

func TestProductionOverlay(t *testing.T) {
	docs := renderT(t, "kubernetes/overlays/production")
	byID := map[string]obj{}
	for _, o := range docs {
		byID[id(o)] = o
	}
	envOf := func(deploy string) map[string]obj {
		out := map[string]obj{}
		for _, c := range containers(byID["Deployment/"+deploy]) {
			for _, e := range l(c, "env") {
				out[s(e, "name")] = e.(obj)
			}
		}
		return out
	}
	tests := []struct {
		name string
		ok   func() bool
	}{
		{"reports go to the read replica on the api", func() bool {
			return s(envOf("cybercampus-api")["REPORTS_DATABASE_URL"], "valueFrom", "secretKeyRef", "key") == "reports-database-url"
		}},
		{"reports go to the read replica on the worker", func() bool {
			return s(envOf("cybercampus-worker")["REPORTS_DATABASE_URL"], "valueFrom", "secretKeyRef", "key") == "reports-database-url"
		}},
		{"the replica is a different database than the primary", func() bool {
			sec := m(byID["Secret/cybercampus-secrets"], "stringData")
			return s(sec, "reports-database-url") != s(sec, "database-url")
		}},
		{"the application goes through PgBouncer", func() bool {
			return strings.Contains(s(byID["Secret/cybercampus-secrets"], "stringData", "database-url"), "@pgbouncer:6432/") &&
				byID["Deployment/pgbouncer"] != nil && byID["Service/pgbouncer"] != nil
		}},
		{"PgBouncer pools transactions and keeps lib/pq's startup parameters and prepared statements working", func() bool {
			ini := s(byID["ConfigMap/pgbouncer-config"], "data", "pgbouncer.ini")
			return strings.Contains(ini, "pool_mode = transaction") && strings.Contains(ini, "ignore_startup_parameters = extra_float_digits") &&
				regexp.MustCompile(`(?m)^\s*max_prepared_statements = [1-9]`).MatchString(ini)
		}},
		{"migrations bypass PgBouncer", func() bool {
			for _, c := range containers(byID["Job/cybercampus-migrate"]) {
				for _, e := range l(c, "env") {
					if s(e, "name") == "DATABASE_URL" {
						return s(e, "valueFrom", "secretKeyRef", "key") == "database-url-direct"
					}
				}
			}
			return false
		}},
		{"TLS at the Ingress", func() bool { return len(l(byID["Ingress/cybercampus"], "spec", "tls")) > 0 }},
		{"every object in the production namespace", func() bool {
			for _, o := range docs {
				if s(o, "kind") != "Namespace" && s(o, "metadata", "namespace") != "cybercampus" {
					return false
				}
			}
			return true
		}},
		{"a released image, not the bare name", func() bool {
			for _, o := range docs {
				for _, c := range containers(o) {
					if s(c, "image") == "cybercampus" {
						return false
					}
				}
			}
			return true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok() {
				t.Fail()
			}
		})
	}
}

// TestKubernetesChecksCatch breaks a good production build one way at a time
// and expects the checks to notice: the checks themselves can fail.
func TestKubernetesChecksCatch(t *testing.T) {
	routes := loadRoutes(t)
	good := renderT(t, "kubernetes/overlays/production")
	find := func(docs []obj, want string) obj {
		for _, o := range docs {
			if id(o) == want {
				return o
			}
		}
		t.Fatalf("%s not found", want)
		return nil
	}
	firstContainer := func(docs []obj, want string) obj { return containers(find(docs, want))[0] }
	tests := []struct {
		name   string
		mutate func(docs []obj) []obj
		want   []string
	}{
		{"an unknown variable", func(d []obj) []obj {
			c := firstContainer(d, "Deployment/cybercampus-api")
			c["env"] = append(l(c, "env"), obj{"name": "DATABASE_URI", "value": "x"})
			return d
		}, []string{"DATABASE_URI", "not a variable"}},
		{"an unknown ConfigMap key", func(d []obj) []obj {
			m(find(d, "ConfigMap/cybercampus-config"), "data")["LOGLEVEL"] = "info"
			return d
		}, []string{"LOGLEVEL"}},
		{"a value the program refuses", func(d []obj) []obj {
			m(find(d, "ConfigMap/cybercampus-config"), "data")["DB_MAX_OPEN_CONNS"] = "ten"
			return d
		}, []string{"would refuse", "DB_MAX_OPEN_CONNS"}},
		{"a missing secret key", func(d []obj) []obj {
			delete(m(find(d, "Secret/cybercampus-secrets"), "stringData"), "redis-url")
			return d
		}, []string{"has no key redis-url"}},
		{"a real-looking secret", func(d []obj) []obj {
			m(find(d, "Secret/cybercampus-secrets"), "stringData")["jwt-secret"] = "0123456789abcdef0123456789abcdef"
			return d
		}, []string{"jwt-secret", "placeholder"}},
		{"a probe on a path that is no route", func(d []obj) []obj {
			m(firstContainer(d, "Deployment/cybercampus-api"), "livenessProbe", "httpGet")["path"] = "/health"
			return d
		}, []string{"/health\"", "not a route"}},
		{"two schedulers", func(d []obj) []obj {
			m(find(d, "Deployment/cybercampus-scheduler"), "spec")["replicas"] = 2
			return d
		}, []string{"exactly one replica"}},
		{"a rolling scheduler", func(d []obj) []obj {
			m(find(d, "Deployment/cybercampus-scheduler"), "spec", "strategy")["type"] = "RollingUpdate"
			return d
		}, []string{"Recreate"}},
		{"a writable root filesystem", func(d []obj) []obj {
			m(firstContainer(d, "Deployment/cybercampus-worker"), "securityContext")["readOnlyRootFilesystem"] = false
			return d
		}, []string{"cybercampus-worker", "readOnlyRootFilesystem"}},
		{"capabilities kept", func(d []obj) []obj {
			delete(m(firstContainer(d, "Deployment/pgbouncer"), "securityContext"), "capabilities")
			return d
		}, []string{"pgbouncer", "drop ALL"}},
		{"no resource limits", func(d []obj) []obj {
			delete(m(firstContainer(d, "Job/cybercampus-migrate"), "resources"), "limits")
			return d
		}, []string{"cybercampus-migrate", "resources.limits"}},
		{"a selector that misses its pods", func(d []obj) []obj {
			m(find(d, "Deployment/cybercampus-worker"), "spec", "selector", "matchLabels")["app.kubernetes.io/component"] = "workers"
			return d
		}, []string{"cybercampus-worker", "does not match template labels"}},
		{"a Service that selects no pods", func(d []obj) []obj {
			m(find(d, "Service/cybercampus-api"), "spec", "selector")["app.kubernetes.io/component"] = "web"
			return d
		}, []string{"Service/cybercampus-api", "matches no pods"}},
		{"an autoscaler without a target", func(d []obj) []obj {
			m(find(d, "HorizontalPodAutoscaler/cybercampus-worker"), "spec", "scaleTargetRef")["name"] = "cybercampus-workers"
			return d
		}, []string{"scale target"}},
		{"a disruption budget without pods", func(d []obj) []obj {
			m(find(d, "PodDisruptionBudget/cybercampus-api"), "spec", "selector", "matchLabels")["app.kubernetes.io/component"] = "apis"
			return d
		}, []string{"PodDisruptionBudget/cybercampus-api"}},
		{"metrics exposed at the Ingress", func(d []obj) []obj {
			rule := l(find(d, "Ingress/cybercampus"), "spec", "rules")[0]
			paths := l(rule, "http", "paths")
			m(rule, "http")["paths"] = append(paths, obj{"path": "/", "pathType": "Prefix",
				"backend": obj{"service": obj{"name": "cybercampus-api", "port": obj{"name": "http"}}}})
			return d
		}, []string{"exposes /metrics"}},
		{"the worker reachable from outside", func(d []obj) []obj {
			np := find(d, "NetworkPolicy/cybercampus-api-ingress")
			delete(m(np, "spec", "podSelector", "matchLabels"), "app.kubernetes.io/component")
			return d
		}, []string{"Deployment/cybercampus-worker", "only the API"}},
		{"no default deny", func(d []obj) []obj {
			return slices.DeleteFunc(d, func(o obj) bool { return id(o) == "NetworkPolicy/cybercampus-default-deny-ingress" })
		}, []string{"default deny"}},
		{"a fixed replica count under an autoscaler", func(d []obj) []obj {
			m(find(d, "Deployment/cybercampus-api"), "spec")["replicas"] = 3
			return d
		}, []string{"must not set replicas"}},
		{"the API migrating at start", func(d []obj) []obj {
			m(find(d, "ConfigMap/cybercampus-config"), "data")["MIGRATE_ON_START"] = "true"
			return d
		}, []string{"MIGRATE_ON_START must be false"}},
	}
	if p := checkKube(good, routes); len(p) > 0 {
		t.Fatalf("the good build has problems: %v", p)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := make([]obj, len(good))
			for i, o := range good {
				docs[i] = deepCopy(o).(obj)
			}
			p := checkKube(tt.mutate(docs), routes)
			if !p.has(tt.want...) {
				t.Errorf("no problem mentions %q; got %v", tt.want, p)
			}
		})
	}
}

// kustomizeCommand is the real kustomize: the kustomize program (which
// `make test` builds into bin/tools) or else kubectl's. Without either the
// test fails, unless SKIP_KUSTOMIZE_TEST says to skip it.
func kustomizeCommand(t *testing.T) []string {
	if p, err := exec.LookPath("kustomize"); err == nil {
		return []string{p, "build"}
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		return []string{p, "kustomize"}
	}
	if os.Getenv("SKIP_KUSTOMIZE_TEST") != "" {
		t.Skip("neither kustomize nor kubectl is installed and SKIP_KUSTOMIZE_TEST is set")
	}
	t.Fatal("neither kustomize nor kubectl is installed: run scripts/test-tools.sh (or set SKIP_KUSTOMIZE_TEST=1)")
	return nil
}

// TestKustomizeAgrees builds every kustomization with the real kustomize,
// checks its output with the same checks, and compares it with this test's
// renderer.
func TestKustomizeAgrees(t *testing.T) {
	kz := kustomizeCommand(t)
	routes := loadRoutes(t)
	for _, dir := range kubeDirs {
		t.Run(dir, func(t *testing.T) {
			out, err := exec.Command(kz[0], append(kz[1:], dir)...).Output()
			if err != nil {
				t.Fatalf("%s %s: %v", strings.Join(kz, " "), dir, err)
			}
			real, err := readDocs(out)
			if err != nil {
				t.Fatal(err)
			}
			checkKube(real, routes).report(t)
			mine := renderT(t, dir)
			if a, b := ids(real), ids(mine); !slices.Equal(a, b) {
				t.Fatalf("objects differ:\nkustomize %v\nrenderer  %v", a, b)
			}
			for _, o := range real {
				var twin obj
				for _, x := range mine {
					if id(x) == id(o) {
						twin = x
					}
				}
				if s(o, "metadata", "namespace") != s(twin, "metadata", "namespace") {
					t.Errorf("%s: namespace %q, renderer %q", id(o), s(o, "metadata", "namespace"), s(twin, "metadata", "namespace"))
				}
				rc, mc := containers(o), containers(twin)
				for i := range rc {
					if i >= len(mc) || s(rc[i], "image") != s(mc[i], "image") || envNames(rc[i]) != envNames(mc[i]) {
						t.Errorf("%s: containers differ from the renderer's", id(o))
					}
				}
			}
		})
	}
}

func envNames(c obj) string {
	var names []string
	for _, e := range l(c, "env") {
		names = append(names, s(e, "name"))
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
