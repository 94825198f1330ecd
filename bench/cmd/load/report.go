package main

import (
	"bufio"
	"cmp"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// run is everything one harness run measured, as written to the JSON file.
type run struct {
	Date         time.Time         `json:"date"`
	Command      string            `json:"command"`
	Machine      machine           `json:"machine"`
	Dataset      map[string]string `json:"dataset"`
	Levels       string            `json:"connections"`
	DurationSecs float64           `json:"duration_seconds"`
	ColdStartMs  float64           `json:"cold_start_ms"`
	PeakRSSMiB   float64           `json:"peak_rss_mib"`
	RollupNote   string            `json:"rollups"`
	Postgres     string            `json:"postgres"`
	Results      []result          `json:"results"`
}

type machine struct {
	NProc      int    `json:"nproc"`
	MemoryMiB  int    `json:"memory_mib"`
	CPU        string `json:"cpu"`
	LoadBefore string `json:"loadavg_before"`
	LoadAfter  string `json:"loadavg_after"`
}

var loadBefore = loadavg()

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

func machineInfo() machine {
	m := machine{NProc: runtime.NumCPU(), LoadBefore: loadBefore, LoadAfter: loadavg()}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int
			if _, err := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); err == nil {
				m.MemoryMiB = kb / 1024
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return m
}

// postgresInfo names the server and the settings that decide write
// throughput, so runs on differently configured servers are not compared
// unknowingly.
func postgresInfo(db *sql.DB) string {
	var info string
	err := db.QueryRow(`SELECT current_setting('server_version') || ' on port ' || current_setting('port') || ', ' ||
		string_agg(name || ' ' || current_setting(name), ', ' ORDER BY ord)
		FROM unnest(ARRAY['shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'synchronous_commit'])
			WITH ORDINALITY AS s(name, ord)`).Scan(&info)
	if err != nil {
		return ""
	}
	return info
}

func command() string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BENCH_") && !strings.HasPrefix(kv, "BENCH_DATABASE_URL=") &&
			!strings.HasPrefix(kv, "BENCH_REDIS_URL=") && !strings.HasPrefix(kv, "BENCH_BASE_URL=") &&
			!strings.HasPrefix(kv, "BENCH_PGBENCH=") {
			env = append(env, kv)
		}
	}
	sort.Strings(env)
	return strings.TrimSpace(strings.Join(env, " ") + " make bench")
}

func (b *bench) report() {
	r := run{Date: b.started.UTC(), Command: command(), Machine: machineInfo(), Dataset: map[string]string{},
		Levels: fmt.Sprint(b.levels), DurationSecs: b.dur.Seconds(), ColdStartMs: ms(b.coldStart), RollupNote: b.rollupNote,
		Results: b.results}
	if rows, err := b.db.Query(`SELECT key, value FROM bench.info`); err == nil {
		for rows.Next() {
			var k, v string
			rows.Scan(&k, &v)
			r.Dataset[k] = v
		}
		rows.Close()
	}
	r.Postgres = postgresInfo(b.db)
	for _, x := range b.results {
		r.PeakRSSMiB = max(r.PeakRSSMiB, x.PeakRSSMiB)
	}
	table := r.markdown()
	fmt.Println()
	fmt.Println(table)
	stamp := b.started.UTC().Format("2006-01-02T150405Z")
	jf := filepath.Join(b.out, fmt.Sprintf("results-%s-%dlearners.json", stamp, b.learners))
	js, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(jf, js, 0o644); err != nil {
		log.Print(err)
	}
	md := filepath.Join(filepath.Dir(filepath.Clean(b.out)), "RESULTS.md")
	if f, err := os.OpenFile(md, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
		fmt.Fprintf(f, "\n%s\nJSON: `%s`\n", table, filepath.Base(jf))
		f.Close()
	}
	log.Printf("results written to %s and appended to %s", jf, md)
}

// markdown renders the run as a RESULTS.md section.
func (r run) markdown() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "### Run %s — %s learners\n\n", r.Date.Format("2006-01-02 15:04 UTC"), r.Dataset["learners"])
	fmt.Fprintf(&sb, "- command: `%s`\n", r.Command)
	fmt.Fprintf(&sb, "- machine: %d CPUs (%s), %d MiB memory; load average %s before, %s after\n",
		r.Machine.NProc, r.Machine.CPU, r.Machine.MemoryMiB, r.Machine.LoadBefore, r.Machine.LoadAfter)
	if r.Postgres != "" {
		fmt.Fprintf(&sb, "- PostgreSQL: %s\n", r.Postgres)
	}
	fmt.Fprintf(&sb, "- dataset: %s; generated in %s s\n", r.Dataset["stats"], r.Dataset["generation_seconds"])
	fmt.Fprintf(&sb, "- connections %s (each scenario at each, marked @N), %.0f s measured per throughput run; %s\n",
		r.Levels, r.DurationSecs, r.RollupNote)
	fmt.Fprintf(&sb, "- cold start of serve to /readyz 200: %.0f ms; API peak RSS (VmHWM) over all scenarios: %.1f MiB (target ≤ 150 MiB: %s)\n\n",
		r.ColdStartMs, r.PeakRSSMiB, metStr(r.PeakRSSMiB <= 150))
	sb.WriteString(roundsSummary(r.Results))
	sb.WriteString("| scenario | ours | reference | ratio | target | met | ours p50 / p99 | p99 ≤ 50 ms | ref p50 / p99 | errors | CPU per request: server, load process | peak RSS |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Results {
		met := metStr(x.Met)
		if x.Failing != "" {
			met = "FAILING: " + strings.ReplaceAll(trunc(x.Failing, 160), "|", "/")
		}
		var op, rp, errs, cpu, p99 string
		if x.P99Met != nil {
			p99 = metStr(*x.P99Met)
		}
		if x.OursRun != nil {
			op = fmt.Sprintf("%.2f / %.2f ms", x.OursRun.P50ms, x.OursRun.P99ms)
			errs = fmt.Sprintf("%d/%d", x.OursRun.Errors, x.OursRun.Requests)
			cpu = cpuCell(x.OursRun, x.RefRun)
		}
		if x.RefRun != nil {
			rp = fmt.Sprintf("%.2f / %.2f ms", x.RefRun.P50ms, x.RefRun.P99ms)
		}
		name := x.Scenario
		if x.Round > 1 || (x.Round == 1 && rounds(r.Results) > 1) {
			name += fmt.Sprintf(" (round %d)", x.Round)
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %.3g (%s) | %s | %s | %s | %s | %s | %s | %s | %.0f MiB |\n", name,
			fmtNum(x.Ours, x.Unit), fmtNum(x.Reference, x.Unit), x.Ratio, x.RatioOf, x.Target, met, op, p99, rp, errs, cpu, x.PeakRSSMiB)
	}
	return sb.String()
}

func rounds(results []result) int {
	n := 1
	for _, x := range results {
		n = max(n, x.Round)
	}
	return n
}

// byScenario groups results by scenario, in the order the run met them.
func byScenario(results []result) (order []string, by map[string][]result) {
	by = map[string][]result{}
	for _, x := range results {
		if _, ok := by[x.Scenario]; !ok {
			order = append(order, x.Scenario)
		}
		by[x.Scenario] = append(by[x.Scenario], x)
	}
	return order, by
}

// roundsSummary tells, for a run of several rounds, in how many rounds each
// scenario met its target and the median of its ratios.
func roundsSummary(results []result) string {
	if rounds(results) < 2 {
		return ""
	}
	order, by := byScenario(results)
	var sb strings.Builder
	sb.WriteString("| scenario | rounds met | median ratio | ratio in each round | target |\n|---|---|---|---|---|\n")
	for _, name := range order {
		xs := by[name]
		met := 0
		ratios := make([]float64, 0, len(xs))
		var each []string
		for _, x := range xs {
			if x.Met {
				met++
			}
			ratios = append(ratios, x.Ratio)
			each = append(each, fmt.Sprintf("%.3g", x.Ratio))
		}
		sort.Float64s(ratios)
		median := ratios[len(ratios)/2]
		if len(ratios)%2 == 0 {
			median = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
		}
		fmt.Fprintf(&sb, "| %s | %d of %d | %.3g | %s | %s |\n", name, met, len(xs), median, strings.Join(each, ", "), xs[0].Target)
	}
	return sb.String() + "\n"
}

func metStr(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// compareRuns prints how each figure moved between two runs (typically
// 100,000 and 1,000,000 learners): the cost should grow no faster than the
// data.
func compareRuns(a, b string) error {
	var ra, rb run
	for _, p := range []struct {
		file string
		r    *run
	}{{a, &ra}, {b, &rb}} {
		data, err := os.ReadFile(p.file)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, p.r); err != nil {
			return fmt.Errorf("%s: %w", p.file, err)
		}
	}
	fmt.Printf("data: %s → %s learners\n\n", ra.Dataset["learners"], rb.Dataset["learners"])
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "figure\tA\tB\tB/A")
	row := func(name string, x, y float64, unit string) {
		ratio := 0.0
		if x != 0 {
			ratio = y / x
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%.2f\n", name, fmtNum(x, unit), fmtNum(y, unit), ratio)
	}
	row("cold start", ra.ColdStartMs, rb.ColdStartMs, "ms")
	row("peak RSS", ra.PeakRSSMiB, rb.PeakRSSMiB, "MiB")
	ma, mb := medianRounds(ra.Results), medianRounds(rb.Results)
	byName := map[string]result{}
	for _, x := range mb {
		byName[x.Scenario] = x
	}
	for _, x := range ma {
		y, ok := byName[x.Scenario]
		if !ok {
			continue
		}
		row(x.Scenario+" — ours", x.Ours, y.Ours, x.Unit)
		row(x.Scenario+" — reference", x.Reference, y.Reference, x.Unit)
		if x.OursRun != nil && y.OursRun != nil {
			row(x.Scenario+" — ours p50", x.OursRun.P50ms, y.OursRun.P50ms, "ms")
			row(x.Scenario+" — ours p99", x.OursRun.P99ms, y.OursRun.P99ms, "ms")
		}
	}
	return w.Flush()
}

// medianRounds keeps, of each scenario measured in several rounds, the round
// whose ratio is the median, in run order.
func medianRounds(results []result) []result {
	order, by := byScenario(results)
	out := make([]result, 0, len(order))
	for _, name := range order {
		xs := slices.Clone(by[name])
		slices.SortStableFunc(xs, func(a, b result) int { return cmp.Compare(a.Ratio, b.Ratio) })
		out = append(out, xs[(len(xs)-1)/2])
	}
	return out
}

// cpuCell gives the CPU time per request of the server under test and of the
// load process, then the reference's (its server's, or its own when it runs
// in the load process).
func cpuCell(ours, ref *measurement) string {
	cell := func(m *measurement) string {
		var parts []string
		if m.ServerCPUms > 0 {
			parts = append(parts, fmt.Sprintf("%.3f ms server", m.ServerCPUms))
		}
		if m.LoadCPUms > 0 {
			parts = append(parts, fmt.Sprintf("%.3f ms load", m.LoadCPUms))
		}
		return strings.Join(parts, ", ")
	}
	out := cell(ours)
	if ref != nil {
		if r := cell(ref); r != "" {
			out += " (reference: " + r + ")"
		}
	}
	return out
}
