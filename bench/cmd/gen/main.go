// Command gen loads a national-scale CyberCampus dataset into an already
// migrated and seeded database with PostgreSQL COPY: learners with a realistic
// demographic spread, enrollments pinned to the published versions of the
// seeded courses with consistent demographic snapshots, progress events with
// their lesson completions and counters, passed quiz attempts and certificates
// for completed enrollments, and cohorts with members. Sizes come from the
// environment (see benchdata.ScaleFromEnv).
//
// Referential checks and triggers are switched off for the load
// (session_replication_role = replica) and the secondary indexes are dropped
// and rebuilt afterwards; the rows the report triggers would have written are
// written in one statement, and -check verifies every relationship the
// foreign keys, counters and snapshots promise.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/bench/benchdata"
	"github.com/cybercampus/cybercampus/internal/auth"
)

// BenchPassword is the password of every generated account.
const BenchPassword = "bench-password-2026"

func main() {
	dsn := flag.String("db", benchdata.Str("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cybercampus_bench?sslmode=disable"), "bench database")
	check := flag.Bool("check", benchdata.Int("BENCH_CHECK", 1) == 1, "verify consistency after loading")
	flag.Parse()
	ctx := context.Background()
	db, err := sql.Open("postgres", *dsn)
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(16)
	sc := benchdata.ScaleFromEnv()
	start := time.Now()
	log.Printf("generating %d learners, %d enrollments, %d progress events, %d certificates, %d cohorts",
		sc.Learners, sc.Enrollments, sc.Events, sc.Certificates, sc.Cohorts)
	g, err := newGenerator(ctx, db, sc)
	if err != nil {
		log.Fatal(err)
	}
	must(exec(ctx, db, benchdata.PoolSchema))
	dropped, err := dropSecondaryIndexes(ctx, db)
	must(err)
	t := time.Now()
	must(g.load(ctx, db))
	log.Printf("COPY done in %s: %s", time.Since(t).Round(time.Second), g.stats())
	t = time.Now()
	must(rebuild(ctx, db, dropped))
	log.Printf("indexes rebuilt in %s", time.Since(t).Round(time.Second))
	t = time.Now()
	// What the report triggers would have recorded had they fired, and the
	// event ids the progress handler claims for each event it stores.
	must(exec(ctx, db, `INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments`))
	// What the learner key trigger would have recorded: each learner's key,
	// which every enrollment of theirs carries (record_key has its default).
	must(exec(ctx, db, `INSERT INTO learner_record_keys (user_id, record_key)
		SELECT DISTINCT user_id, learner_key FROM enrollments`))
	// Without its primary key during the insert: maintaining the index row by
	// row for 30 million random ids took most of the generation at 1M; it is
	// built once afterwards (and checks the ids are unique).
	must(exec(ctx, db, `ALTER TABLE progress_event_ids DROP CONSTRAINT progress_event_ids_pkey`))
	must(exec(ctx, db, `INSERT INTO progress_event_ids (id) SELECT id FROM progress_events`))
	must(exec(ctx, db, `ALTER TABLE progress_event_ids ADD CONSTRAINT progress_event_ids_pkey PRIMARY KEY (id)`))
	must(vacuum(ctx, db))
	log.Printf("report changes recorded, VACUUM ANALYZE done in %s", time.Since(t).Round(time.Second))
	info := map[string]string{
		"learners": strconv.Itoa(sc.Learners), "generated_at": g.now.Format(time.RFC3339),
		"generation_seconds": strconv.Itoa(int(time.Since(start).Seconds())), "stats": g.stats(),
	}
	for k, v := range info {
		must(exec(ctx, db, `INSERT INTO bench.info VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v))
	}
	if *check {
		t = time.Now()
		must(verify(ctx, db))
		log.Printf("consistency checks passed in %s", time.Since(t).Round(time.Second))
	}
	log.Printf("generation finished in %s", time.Since(start).Round(time.Second))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func exec(ctx context.Context, db *sql.DB, q string, args ...any) error {
	_, err := db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%.80s: %w", strings.TrimSpace(q), err)
	}
	return nil
}

// ---- reference data ----

type country struct {
	Code, Region    string
	LDC, SIDS, LLDC bool
	weight          float64
}

type quiz struct {
	ID, Answers, Results string
}

type course struct {
	ID, Slug, VersionID, Title string
	Audiences                  []string
	Lessons                    []string
	Quizzes                    []quiz
	weight                     float64
}

type cohort struct {
	ID, Country string
	course      int
	start       time.Time
}

type generator struct {
	sc        benchdata.Scale
	now       time.Time
	r         *rand.Rand
	countries []country
	ccum      []float64
	byCode    map[string]*country
	courses   []course
	cohorts   []cohort
	cohortsBy map[string][]int // "course|country" and "course|" → cohort indexes
	keyID     string
	hash      string
	// status list allocation: 65,536 certificates per list of 131,072
	lists                                          int
	listPerm                                       []int
	listUsed                                       int
	users, enrollments, events, completions, certs int
	attempts, members, completedEnr                int
	pOne, pBatch                                   float64
	nOne, nBatch, nE2E                             int
}

func newGenerator(ctx context.Context, db *sql.DB, sc benchdata.Scale) (*generator, error) {
	g := &generator{sc: sc, now: time.Now().UTC().Truncate(time.Second), r: rand.New(rand.NewPCG(sc.Seed, sc.Seed^0x9e3779b97f4a7c15)),
		byCode: map[string]*country{}, cohortsBy: map[string][]int{}}
	rows, err := db.QueryContext(ctx, `SELECT code, region, ldc, sids, lldc FROM countries ORDER BY code`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c country
		if err := rows.Scan(&c.Code, &c.Region, &c.LDC, &c.SIDS, &c.LLDC); err != nil {
			return nil, err
		}
		c.weight = countryWeights[c.Code]
		if c.weight == 0 {
			c.weight = 0.2
		}
		g.countries = append(g.countries, c)
	}
	rows.Close()
	sum := 0.0
	for i := range g.countries {
		sum += g.countries[i].weight
		g.ccum = append(g.ccum, sum)
		g.byCode[g.countries[i].Code] = &g.countries[i]
	}
	if err := g.loadCourses(ctx, db); err != nil {
		return nil, err
	}
	if len(g.courses) == 0 {
		return nil, fmt.Errorf("no published course: run `cybercampus seed` against the bench database first")
	}
	if err := db.QueryRowContext(ctx, `SELECT thumbprint FROM certificate_keys WHERE current`).Scan(&g.keyID); err != nil {
		return nil, fmt.Errorf("no current certificate key (run `cybercampus keys rotate` first): %w", err)
	}
	g.hash = auth.HashPassword(BenchPassword)
	g.pOne = math.Min(1, 3*float64(sc.Pool)/float64(sc.Enrollments))
	g.pBatch = math.Min(1, 1.5*float64(sc.Pool)/float64(sc.Enrollments))
	return g, nil
}

func (g *generator) loadCourses(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT c.id, c.slug, v.id, v.title, v.audiences FROM courses c
		JOIN course_versions v ON v.id = c.current_version_id
		WHERE c.archived_at IS NULL AND v.status = 'published' ORDER BY c.slug`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c course
		var aud pq.StringArray
		if err := rows.Scan(&c.ID, &c.Slug, &c.VersionID, &c.Title, &aud); err != nil {
			return err
		}
		c.Audiences = aud
		c.weight = courseWeights[c.Slug]
		if c.weight == 0 {
			c.weight = 10
		}
		g.courses = append(g.courses, c)
	}
	rows.Close()
	for i := range g.courses {
		c := &g.courses[i]
		if err := selectStrings(ctx, db, &c.Lessons, `SELECT l.id FROM lessons l JOIN course_modules m ON m.id = l.module_id
			WHERE l.version_id = $1 ORDER BY m.position, l.position`, c.VersionID); err != nil {
			return err
		}
		var qids []string
		if err := selectStrings(ctx, db, &qids, `SELECT q.id FROM quizzes q JOIN course_modules m ON m.id = q.module_id
			WHERE q.version_id = $1 ORDER BY m.position`, c.VersionID); err != nil {
			return err
		}
		for _, id := range qids {
			q, err := quizAnswers(ctx, db, id)
			if err != nil {
				return err
			}
			c.Quizzes = append(c.Quizzes, q)
		}
	}
	return nil
}

func selectStrings(ctx context.Context, db *sql.DB, out *[]string, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}

// quizAnswers builds the answers and graded results of a perfect attempt, in
// the form the learners package stores them.
func quizAnswers(ctx context.Context, db *sql.DB, quizID string) (quiz, error) {
	rows, err := db.QueryContext(ctx, `SELECT q.id, q.explanation,
			coalesce(array_agg(o.id ORDER BY o.position) FILTER (WHERE o.correct), '{}')
		FROM quiz_questions q LEFT JOIN quiz_options o ON o.question_id = q.id
		WHERE q.quiz_id = $1 GROUP BY q.id, q.explanation, q.position ORDER BY q.position`, quizID)
	if err != nil {
		return quiz{}, err
	}
	defer rows.Close()
	answers := map[string][]string{}
	type result struct {
		QuestionID       string   `json:"question_id"`
		SelectedOptions  []string `json:"selected_option_ids"`
		Correct          bool     `json:"correct"`
		CorrectOptionIDs []string `json:"correct_option_ids"`
		Explanation      string   `json:"explanation"`
	}
	results := []result{}
	for rows.Next() {
		var id, expl string
		var correct pq.StringArray
		if err := rows.Scan(&id, &expl, &correct); err != nil {
			return quiz{}, err
		}
		answers[id] = correct
		results = append(results, result{id, correct, true, correct, expl})
	}
	a, _ := json.Marshal(answers)
	r, _ := json.Marshal(results)
	return quiz{ID: quizID, Answers: string(a), Results: string(r)}, rows.Err()
}

// ---- distributions ----

// countryWeights spreads learners over many countries of all six regions,
// LDCs, SIDS and LLDCs included; every other country gets a small weight.
var countryWeights = map[string]float64{
	// africa
	"NG": 60, "KE": 40, "ET": 30, "GH": 25, "TZ": 25, "UG": 25, "ZA": 25, "CD": 20, "SN": 15, "CI": 15, "CM": 15,
	"RW": 12, "ZM": 10, "MZ": 10, "MW": 8, "BF": 8, "ML": 8, "NE": 6, "BJ": 6, "ZW": 8, "MG": 8, "AO": 8, "TD": 4,
	"SL": 4, "LR": 3, "GM": 2, "BW": 3, "NA": 3, "MU": 2, "CV": 1, "SC": 1, "LS": 2, "SZ": 2, "BI": 3, "SS": 2,
	"TG": 4, "GN": 5, "GW": 1, "ST": 1, "ER": 1, "CF": 1, "GA": 2, "CG": 2, "GQ": 1,
	// americas
	"BR": 40, "MX": 35, "CO": 25, "PE": 15, "AR": 15, "CL": 10, "EC": 8, "GT": 8, "BO": 6, "HT": 5, "DO": 6,
	"HN": 5, "PY": 4, "NI": 3, "SV": 4, "JM": 3, "TT": 2, "CR": 3, "PA": 3, "UY": 2, "CU": 3, "GY": 1, "SR": 1,
	"BZ": 1, "BB": 1, "BS": 1, "LC": 1, "GD": 1, "VC": 1, "DM": 1, "AG": 1, "KN": 1, "US": 8, "CA": 4, "VE": 5,
	// arab states
	"EG": 40, "MA": 20, "DZ": 15, "SA": 12, "IQ": 10, "SD": 10, "TN": 8, "JO": 6, "YE": 6, "SY": 4, "LB": 4,
	"AE": 5, "OM": 3, "KW": 2, "QA": 2, "BH": 1, "LY": 3, "MR": 3, "SO": 3, "DJ": 1, "KM": 1, "PS": 3,
	// asia-pacific
	"IN": 80, "ID": 40, "PK": 35, "BD": 30, "PH": 25, "VN": 20, "NP": 10, "LK": 8, "MM": 8, "KH": 6, "LA": 4,
	"MN": 3, "AF": 5, "BT": 1, "MY": 8, "TH": 10, "FJ": 2, "PG": 3, "SB": 1, "VU": 1, "WS": 1, "TO": 1, "KI": 1,
	"TV": 1, "TL": 1, "MV": 1, "MH": 1, "FM": 1, "NR": 1, "PW": 1, "CN": 10, "IR": 8,
	// CIS
	"RU": 10, "KZ": 6, "UZ": 8, "KG": 3, "TJ": 3, "AM": 2, "AZ": 3, "BY": 3, "MD": 2, "TM": 1,
	// europe
	"UA": 6, "TR": 10, "GE": 2, "RS": 2, "AL": 1, "MK": 1, "BA": 1, "ME": 1, "DE": 3, "FR": 3, "GB": 3,
	"ES": 2, "IT": 2, "PL": 2, "RO": 2,
}

var courseWeights = map[string]float64{
	"online-safety-secondary": 20, "cyber-hygiene-university": 18, "protecting-small-business": 14,
	"ransomware-readiness-msme": 10, "cybersecurity-careers-women": 12, "incident-response-fundamentals": 12,
	"security-risk-management": 8, "national-cirt-setup": 6,
}

var francophone = map[string]bool{"SN": true, "CI": true, "CM": true, "CD": true, "BF": true, "ML": true, "NE": true,
	"BJ": true, "TG": true, "GN": true, "MG": true, "TD": true, "BI": true, "CF": true, "CG": true, "GA": true,
	"HT": true, "FR": true, "RW": true}

var spanish = map[string]bool{"MX": true, "CO": true, "PE": true, "AR": true, "CL": true, "EC": true, "GT": true,
	"BO": true, "DO": true, "HN": true, "PY": true, "NI": true, "SV": true, "CR": true, "PA": true, "UY": true,
	"CU": true, "VE": true, "ES": true, "GQ": true}

var givenNames = []string{"Amina", "Kwame", "Fatima", "Juan", "Maria", "Wei", "Priya", "Olga", "Ahmed", "Grace",
	"Chinedu", "Aisha", "Carlos", "Ana", "Li", "Ravi", "Sofia", "Omar", "Nadia", "Tendai", "Mariam", "José",
	"Leila", "Ivan", "Mei", "Arjun", "Zainab", "Pedro", "Yusuf", "Esther", "Thanh", "Sipho", "Lucía", "Hana",
	"Kofi", "Nour", "Dmitri", "Aroha", "Siosaia", "Ngozi"}

var familyNames = []string{"Okafor", "Mensah", "Haddad", "García", "Silva", "Wang", "Sharma", "Ivanova", "Hassan",
	"Mwangi", "Diallo", "Nguyen", "Rodríguez", "Khan", "Banda", "Moyo", "Tembo", "Rahman", "Santos", "Chen",
	"Kariuki", "Traoré", "Ali", "Petrov", "Fernández", "Singh", "Osei", "Mahmoud", "Tuilagi", "Perera"}

func (g *generator) pickCountry() *country {
	x := g.r.Float64() * g.ccum[len(g.ccum)-1]
	i := sort.SearchFloat64s(g.ccum, x)
	return &g.countries[min(i, len(g.countries)-1)]
}

func (g *generator) gender() string {
	switch x := g.r.Float64(); {
	case x < 0.45:
		return "female"
	case x < 0.95:
		return "male"
	case x < 0.98:
		return "undisclosed"
	}
	return "other"
}

// age draws an age: most learners are 15 to 34.
func (g *generator) age() int {
	x := g.r.Float64()
	switch {
	case x < 0.02:
		return 12 + g.r.IntN(3)
	case x < 0.40:
		return 15 + g.r.IntN(10)
	case x < 0.73:
		return 25 + g.r.IntN(10)
	case x < 0.88:
		return 35 + g.r.IntN(10)
	case x < 0.96:
		return 45 + g.r.IntN(10)
	case x < 0.99:
		return 55 + g.r.IntN(10)
	}
	return 65 + g.r.IntN(15)
}

func (g *generator) audience(age int) string {
	x := g.r.Float64()
	if age < 25 {
		switch {
		case x < 0.70:
			return "youth"
		case x < 0.93:
			return "professional"
		}
		return "msme"
	}
	switch {
	case x < 0.05:
		return "youth"
	case x < 0.68:
		return "professional"
	}
	return "msme"
}

func (g *generator) language(c *country) string {
	switch {
	case c.Region == "arab_states":
		if (c.Code == "MA" || c.Code == "DZ" || c.Code == "TN" || c.Code == "MR") && g.r.IntN(3) == 0 {
			return "fr"
		}
		return "ar"
	case c.Region == "cis":
		return "ru"
	case c.Code == "CN" || c.Code == "TW" || c.Code == "HK" || c.Code == "MO":
		return "zh"
	case francophone[c.Code]:
		return "fr"
	case spanish[c.Code]:
		return "es"
	}
	return "en"
}

// pickCourses chooses k distinct courses, those for the learner's audience
// three times as likely.
func (g *generator) pickCourses(k int, audience string) []int {
	w := make([]float64, len(g.courses))
	for i, c := range g.courses {
		w[i] = c.weight
		for _, a := range c.Audiences {
			if a == audience {
				w[i] *= 3
			}
		}
	}
	out := make([]int, 0, k)
	for len(out) < k && len(out) < len(g.courses) {
		sum := 0.0
		for _, x := range w {
			sum += x
		}
		x := g.r.Float64() * sum
		for i := range w {
			if x -= w[i]; x < 0 || i == len(w)-1 {
				out = append(out, i)
				w[i] = 0
				break
			}
		}
	}
	return out
}

// between returns a random time in [a, b).
func (g *generator) between(a, b time.Time) time.Time {
	d := b.Sub(a)
	if d <= 0 {
		return a
	}
	return a.Add(time.Duration(g.r.Int64N(int64(d))))
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999+00") }

// ---- the load ----

// stream is one COPY into one table on its own connection and transaction.
type stream struct {
	tx   *sql.Tx
	stmt *sql.Stmt
	name string
	rows int
	err  error
}

func openStream(ctx context.Context, db *sql.DB, table string, cols ...string) (*stream, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return nil, err
	}
	schema, name := "public", table
	if s, t, ok := strings.Cut(table, "."); ok {
		schema, name = s, t
	}
	stmt, err := tx.PrepareContext(ctx, pq.CopyInSchema(schema, name, cols...))
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", table, err)
	}
	return &stream{tx: tx, stmt: stmt, name: table}, nil
}

func (s *stream) add(args ...any) {
	if s.err != nil {
		return
	}
	if _, err := s.stmt.Exec(args...); err != nil {
		s.err = fmt.Errorf("copy %s row %d: %w", s.name, s.rows+1, err)
	}
	s.rows++
}

func (s *stream) close() error {
	if s.err != nil {
		s.tx.Rollback()
		return s.err
	}
	if _, err := s.stmt.Exec(); err != nil {
		s.tx.Rollback()
		return fmt.Errorf("copy %s: %w", s.name, err)
	}
	if err := s.stmt.Close(); err != nil {
		return err
	}
	return s.tx.Commit()
}

type streams struct {
	users, cohorts, enrollments, progress, members, events, completions, attempts, certs, lists *stream
	one, batch, e2e                                                                             *stream
}

func (g *generator) load(ctx context.Context, db *sql.DB) error {
	var s streams
	var err error
	open := func(dst **stream, table string, cols ...string) {
		if err == nil {
			*dst, err = openStream(ctx, db, table, cols...)
		}
	}
	open(&s.users, "users", "id", "email", "password_hash", "name", "roles", "gender", "birth_year", "country",
		"audience", "organization", "language", "notify_email", "notify_reminders", "created_at", "updated_at")
	open(&s.cohorts, "cohorts", "id", "name", "course_id", "owner_id", "country", "starts_on", "ends_on", "created_at")
	open(&s.enrollments, "enrollments", "id", "user_id", "course_id", "version_id", "cohort_id", "status",
		"lessons_total", "enrolled_at", "completed_at",
		"gender", "audience", "country", "region", "ldc", "sids", "lldc", "age_band", "learner_key")
	open(&s.progress, "enrollment_progress", "enrollment_id", "lessons_completed", "last_activity_at")
	open(&s.members, "cohort_members", "cohort_id", "user_id", "enrollment_id", "added_at")
	open(&s.events, "progress_events", "id", "occurred_at", "user_id", "enrollment_id", "lesson_id", "type", "received_at")
	open(&s.completions, "lesson_completions", "enrollment_id", "lesson_id", "completed_at", "event_id")
	open(&s.attempts, "quiz_attempts", "id", "quiz_id", "enrollment_id", "user_id", "attempt_number", "score",
		"passed", "answers", "results", "created_at")
	open(&s.certs, "certificates", "id", "user_id", "enrollment_id", "course_id", "version_id", "key_id",
		"learner_name", "course_title", "token", "issued_at", "status_list_id", "status_index", "revoked_at",
		"revoked_reason", "revoked_by")
	open(&s.lists, "status_lists", "id", "size", "created_at")
	open(&s.one, "bench.pool_one", "user_n", "user_id", "enrollment_id", "lesson_id")
	open(&s.batch, "bench.pool_batch", "user_n", "user_id", "enrollment_id", "version_id")
	open(&s.e2e, "bench.pool_e2e", "user_n", "user_id", "enrollment_id", "lesson_id", "slug")
	if err != nil {
		return err
	}
	g.staffAndCohorts(&s)
	all := []*stream{s.users, s.cohorts, s.enrollments, s.progress, s.members, s.events, s.completions, s.attempts, s.certs, s.lists, s.one, s.batch, s.e2e}
	progressEvery := max(1, g.sc.Learners/20)
	for n := 1; n <= g.sc.Learners; n++ {
		g.learner(&s, n)
		if n%progressEvery == 0 {
			log.Printf("  %d%%: %s", n*100/g.sc.Learners, g.stats())
		}
		for _, st := range all {
			if st.err != nil {
				return st.err
			}
		}
	}
	// Commit concurrently: each stream's backend finishes its own work.
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, st := range all {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = st.close() }()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (g *generator) stats() string {
	return fmt.Sprintf("users=%d enrollments=%d (completed %d) events=%d completions=%d quiz_attempts=%d certificates=%d cohorts=%d members=%d pools one=%d batch=%d e2e=%d",
		g.users, g.enrollments, g.completedEnr, g.events, g.completions, g.attempts, g.certs, len(g.cohorts), g.members, g.nOne, g.nBatch, g.nE2E)
}

// staffAndCohorts writes the admin, two analysts and the trainers, and the
// cohorts the trainers own (about ten each).
func (g *generator) staffAndCohorts(s *streams) {
	staff := func(n int, role, name string) string {
		id := benchdata.StaffID(n)
		at := ts(g.now.AddDate(-2, 0, -7))
		s.users.add(id, fmt.Sprintf("staff%d@bench.cybercampus.test", n), g.hash, name, "{learner,"+role+"}",
			"undisclosed", 1985, "CH", "professional", "CyberCampus", "en", true, true, at, at)
		g.users++
		return id
	}
	staff(1, "admin", "Bench Admin")
	staff(2, "analyst", "Bench Analyst One")
	staff(3, "analyst", "Bench Analyst Two")
	trainers := max(1, g.sc.Cohorts/10)
	var owners []string
	for i := 0; i < trainers; i++ {
		owners = append(owners, staff(10+i, "trainer", fmt.Sprintf("Trainer %d", i+1)))
	}
	for i := 0; i < g.sc.Cohorts; i++ {
		c := cohort{ID: benchdata.NewUUID(g.r), Country: g.pickCountry().Code, course: g.r.IntN(len(g.courses))}
		c.start = g.between(g.now.AddDate(0, -23, 0), g.now.AddDate(0, 0, -7)).Truncate(24 * time.Hour)
		end := c.start.AddDate(0, 0, 30+g.r.IntN(90))
		s.cohorts.add(c.ID, fmt.Sprintf("%s cohort %d", c.Country, i+1), g.courses[c.course].ID, owners[i%len(owners)],
			c.Country, c.start.Format("2006-01-02"), end.Format("2006-01-02"), ts(c.start.Add(-72*time.Hour)))
		g.cohorts = append(g.cohorts, c)
		k := strconv.Itoa(c.course)
		g.cohortsBy[k+"|"+c.Country] = append(g.cohortsBy[k+"|"+c.Country], i)
		g.cohortsBy[k+"|"] = append(g.cohortsBy[k+"|"], i)
	}
}

// enrollment is one generated enrollment before it is written.
// learnerKey is a learner's random cell key (0-255), the same for all their
// enrollments: a hash of the id with this run's seed, so that it needs no
// table in memory.
func (g *generator) learnerKey(userID string) int {
	h := g.sc.Seed
	for i := 0; i < len(userID); i++ {
		h = (h ^ uint64(userID[i])) * 1099511628211
	}
	return int(h>>32) % 256
}

type enrollment struct {
	id, cohortID string
	course       int
	at           time.Time
	state        int // 0 active, 1 completed, 2 near-complete (e2e)
}

func (g *generator) learner(s *streams, n int) {
	remainingUsers := g.sc.Learners - n + 1
	remainingEnr := g.sc.Enrollments - g.enrollments
	mean := float64(remainingEnr) / float64(remainingUsers)
	// 1 + binomial(7, p): mean 1 + 7p, at most 8 distinct courses.
	k := 1
	if p := (mean - 1) / 7; p > 0 {
		for range 7 {
			if g.r.Float64() < p {
				k++
			}
		}
	}
	if remainingUsers == 1 {
		k = max(1, min(remainingEnr, len(g.courses)))
	}
	c := g.pickCountry()
	age := g.age()
	audience := g.audience(age)
	id := benchdata.UserID(n)
	name := givenNames[g.r.IntN(len(givenNames))] + " " + familyNames[g.r.IntN(len(familyNames))]
	// Newer learners are more numerous: the programme grows.
	created := g.now.Add(-time.Duration(math.Pow(g.r.Float64(), 1.4) * float64(720*24*time.Hour))).Add(-48 * time.Hour)
	picks := g.pickCourses(k, audience)
	ens := make([]enrollment, 0, len(picks))
	for _, ci := range picks {
		e := enrollment{id: benchdata.NewUUID(g.r), course: ci, at: g.between(created, g.now.Add(-time.Hour))}
		if float64(g.r.IntN(1_000_000)) < 1e6*math.Min(0.5, 150*float64(g.sc.Cohorts)/float64(g.sc.Enrollments)) {
			key := strconv.Itoa(ci) + "|"
			cands := g.cohortsBy[key+c.Code]
			if len(cands) == 0 {
				cands = g.cohortsBy[key]
			}
			if len(cands) > 0 {
				co := g.cohorts[cands[g.r.IntN(len(cands))]]
				e.cohortID = co.ID
				e.at = co.start.Add(time.Duration(g.r.Int64N(int64(14 * 24 * time.Hour))))
				if e.at.After(g.now.Add(-time.Hour)) {
					e.at = g.now.Add(-time.Hour)
				}
			}
		}
		if e.at.Before(created) {
			created = e.at.Add(-time.Hour)
		}
		left := g.sc.Enrollments - g.enrollments - len(ens)
		if left > 0 {
			switch x := g.r.Float64(); {
			case x < float64(g.sc.Certificates-g.certs-g.countCompleted(ens))/float64(left):
				e.state = 1
			case x < float64(g.sc.Certificates-g.certs-g.countCompleted(ens)+g.sc.E2E-g.nE2E)/float64(left):
				e.state = 2
			}
		}
		ens = append(ens, e)
	}
	lang := g.language(c)
	birth := g.now.Year() - age
	gender := g.gender()
	s.users.add(id, fmt.Sprintf("learner%d@bench.cybercampus.test", n), g.hash, name, "{learner}", gender,
		birth, c.Code, audience, "", lang, true, g.r.IntN(10) != 0, ts(created), ts(created))
	g.users++
	for _, e := range ens {
		g.writeEnrollment(s, n, id, name, gender, audience, birth, c, e)
	}
}

func (g *generator) countCompleted(ens []enrollment) int {
	n := 0
	for _, e := range ens {
		if e.state == 1 {
			n++
		}
	}
	return n
}

func (g *generator) writeEnrollment(s *streams, n int, userID, name, gender, audience string, birth int, c *country, e enrollment) {
	co := &g.courses[e.course]
	L := len(co.Lessons)
	k := 0
	switch e.state {
	case 1:
		k = L
	case 2:
		k = L - 1
	default:
		if g.r.IntN(4) != 0 && L > 1 {
			k = 1 + g.r.IntN(L-1)
		}
	}
	// Lessons are taken in order; each completion is the first event of its lesson.
	span := g.now.Sub(e.at)
	if span > 90*24*time.Hour {
		span = 90 * 24 * time.Hour
	}
	times := make([]time.Time, k)
	for i := range times {
		times[i] = e.at.Add(time.Duration(g.r.Int64N(int64(span))))
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	last := time.Time{}
	for i := 0; i < k; i++ {
		ev := benchdata.NewUUID(g.r)
		s.events.add(ev, ts(times[i]), userID, e.id, co.Lessons[i], "lesson_completed", ts(times[i].Add(time.Duration(g.r.IntN(30))*time.Second)))
		s.completions.add(e.id, co.Lessons[i], ts(times[i]), ev)
		last = times[i]
	}
	g.events += k
	g.completions += k
	status, completedAt := "active", any(nil)
	if e.state != 0 {
		// Passed quizzes; one learner in five failed a first attempt.
		for _, q := range co.Quizzes {
			at := g.between(e.at, g.now.Add(-time.Minute))
			if len(times) > 0 {
				at = times[len(times)-1].Add(time.Duration(1+g.r.IntN(600)) * time.Second)
			}
			if limit := g.now.Add(-time.Minute); at.After(limit) {
				at = limit
			}
			num := 1
			if g.r.IntN(5) == 0 {
				s.attempts.add(benchdata.NewUUID(g.r), q.ID, e.id, userID, 1, 40, false, q.Answers, q.Results, ts(at.Add(-5*time.Minute)))
				g.attempts++
				num = 2
			}
			s.attempts.add(benchdata.NewUUID(g.r), q.ID, e.id, userID, num, 100, true, q.Answers, q.Results, ts(at))
			g.attempts++
			if at.After(last) {
				last = at
			}
		}
	}
	done := last // completion: the last lesson or quiz, before any replay
	if e.state == 1 {
		status, completedAt = "completed", ts(done)
		g.completedEnr++
	}
	// Replays from other devices: more events than completions, up to the
	// requested total.
	if k > 0 {
		remainingEnr := max(1, g.sc.Enrollments-g.enrollments)
		meanFirst := 0.0
		if g.enrollments > 0 {
			meanFirst = float64(g.completions) / float64(g.enrollments+1)
		}
		extra := (float64(g.sc.Events-g.events) - float64(remainingEnr-1)*meanFirst) / (float64(remainingEnr) * 0.75)
		if extra > 0 {
			x := int(extra)
			if g.r.Float64() < extra-float64(x) {
				x++
			}
			x = min(x, 400)
			for range x {
				i := g.r.IntN(k)
				at := g.between(times[i], g.now.Add(-time.Minute))
				if at.After(last) {
					last = at
				}
				s.events.add(benchdata.NewUUID(g.r), ts(at), userID, e.id, co.Lessons[i], "lesson_completed", ts(at.Add(2*time.Second)))
			}
			g.events += x
		}
	}
	var cohortID any
	if e.cohortID != "" {
		cohortID = e.cohortID
	}
	s.enrollments.add(e.id, userID, co.ID, co.VersionID, cohortID, status, L, ts(e.at), completedAt,
		gender, audience, c.Code, c.Region, c.LDC, c.SIDS, c.LLDC, cc.AgeBand(birth, e.at.Year()), g.learnerKey(userID))
	if !last.IsZero() { // a progress row from the first activity on
		s.progress.add(e.id, k, ts(last))
	}
	g.enrollments++
	if e.cohortID != "" {
		s.members.add(e.cohortID, userID, e.id, ts(e.at))
		g.members++
	}
	if e.state == 1 {
		g.certificate(s, userID, name, co, e, done)
	}
	switch {
	case e.state == 2:
		s.e2e.add(n, userID, e.id, co.Lessons[L-1], co.Slug)
		g.nE2E++
	case e.state == 0 && L-k >= 2 && g.r.Float64() < g.pOne:
		s.one.add(n, userID, e.id, co.Lessons[k])
		g.nOne++
	}
	if e.state == 0 && g.r.Float64() < g.pBatch {
		s.batch.add(n, userID, e.id, co.VersionID)
		g.nBatch++
	}
}

// certificate writes the certificate of a completed enrollment at a random
// free index of a status list filled to half, as the issuer picks them.
func (g *generator) certificate(s *streams, userID, name string, co *course, e enrollment, completed time.Time) {
	if g.listPerm == nil || g.listUsed >= 65536 {
		g.lists++
		g.listPerm = g.r.Perm(131072)
		g.listUsed = 0
		s.lists.add(g.lists, 131072, ts(completed))
	}
	idx := g.listPerm[g.listUsed]
	g.listUsed++
	issued := completed.Add(2 * time.Second).Truncate(time.Second)
	var revokedAt, reason, by any
	if g.r.IntN(1000) == 0 {
		revokedAt, reason, by = ts(issued.Add(24*time.Hour)), "Issued in error", benchdata.StaffID(1)
	}
	// Bulk certificates carry a placeholder token: verification scenarios use
	// certificates the server issues during the run.
	s.certs.add(benchdata.NewUUID(g.r), userID, e.id, co.ID, co.VersionID, g.keyID, name, co.Title,
		"bench-placeholder-token", ts(issued), g.lists, idx, revokedAt, reason, by)
	g.certs++
}

// ---- indexes, vacuum and checks ----

type index struct{ name, def string }

var bigTables = []string{"users", "enrollments", "enrollment_progress", "progress_events", "progress_event_ids", "lesson_completions", "quiz_attempts",
	"certificates", "cohort_members", "cohorts"}

// dropSecondaryIndexes drops the indexes that back no constraint on the
// tables the load fills, returning their definitions.
func dropSecondaryIndexes(ctx context.Context, db *sql.DB) ([]index, error) {
	rows, err := db.QueryContext(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
		WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`, pq.StringArray(bigTables))
	if err != nil {
		return nil, err
	}
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	rows.Close()
	for _, ix := range out {
		if err := exec(ctx, db, `DROP INDEX `+ix.name); err != nil {
			return nil, err
		}
	}
	log.Printf("dropped %d secondary indexes for the load", len(out))
	return out, nil
}

// rebuild recreates the dropped indexes, two at a time.
func rebuild(ctx context.Context, db *sql.DB, ixs []index) error {
	work := make(chan index)
	errc := make(chan error, len(ixs))
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				errc <- err
				return
			}
			defer conn.Close()
			conn.ExecContext(ctx, `SET maintenance_work_mem = '1GB'`)
			for ix := range work {
				if _, err := conn.ExecContext(ctx, ix.def); err != nil {
					errc <- fmt.Errorf("%s: %w", ix.def, err)
				}
			}
		}()
	}
	for _, ix := range ixs {
		work <- ix
	}
	close(work)
	wg.Wait()
	close(errc)
	return <-errc
}

func vacuum(ctx context.Context, db *sql.DB) error {
	tables := append([]string{"report_changes", "status_lists", "bench.pool_one", "bench.pool_batch", "bench.pool_e2e"}, bigTables...)
	work := make(chan string)
	errc := make(chan error, len(tables))
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE) `+t); err != nil {
					errc <- fmt.Errorf("vacuum %s: %w", t, err)
				}
			}
		}()
	}
	for _, t := range tables {
		work <- t
	}
	close(work)
	wg.Wait()
	close(errc)
	return <-errc
}

// checks are the promises the disabled foreign keys and triggers would have
// kept, plus the consistency the features rely on. Each must count zero.
var checks = []struct{ name, q string }{
	{"a learner's enrollments carry one learner key, the one learner_record_keys holds", `SELECT count(*) FROM enrollments e
		LEFT JOIN learner_record_keys k ON k.user_id = e.user_id WHERE k.record_key IS DISTINCT FROM e.learner_key`},
	{"enrollment user/course/version/country exist", `SELECT count(*) FROM enrollments e
		LEFT JOIN users u ON u.id = e.user_id LEFT JOIN course_versions v ON v.id = e.version_id
		LEFT JOIN countries k ON k.code = e.country
		WHERE u.id IS NULL OR v.id IS NULL OR k.code IS NULL OR v.course_id <> e.course_id OR v.status <> 'published'`},
	{"enrollment cohort exists and teaches its course", `SELECT count(*) FROM enrollments e LEFT JOIN cohorts c ON c.id = e.cohort_id
		WHERE e.cohort_id IS NOT NULL AND (c.id IS NULL OR c.course_id <> e.course_id)`},
	{"demographic snapshot matches user and country", `SELECT count(*) FROM enrollments e JOIN users u ON u.id = e.user_id
		JOIN countries k ON k.code = u.country
		WHERE (e.gender, e.audience, e.country, e.region, e.ldc, e.sids, e.lldc) IS DISTINCT FROM
		      (u.gender, u.audience, u.country, k.region, k.ldc, k.sids, k.lldc)`},
	{"lessons_total is the pinned version's lesson count", `SELECT count(*) FROM enrollments e
		JOIN (SELECT version_id, count(*) AS n FROM lessons GROUP BY version_id) l ON l.version_id = e.version_id
		WHERE e.lessons_total <> l.n`},
	{"lessons_completed matches lesson_completions", `SELECT count(*) FROM enrollments e
		LEFT JOIN (SELECT enrollment_id, count(*) AS n FROM lesson_completions GROUP BY enrollment_id) c ON c.enrollment_id = e.id
		LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
		WHERE coalesce(c.n, 0) <> coalesce(ep.lessons_completed, 0)`},
	{"lesson completion is a lesson of the pinned version", `SELECT count(*) FROM lesson_completions lc
		LEFT JOIN enrollments e ON e.id = lc.enrollment_id LEFT JOIN lessons l ON l.id = lc.lesson_id
		WHERE e.id IS NULL OR l.id IS NULL OR l.version_id <> e.version_id`},
	{"lesson completion is its earliest event", `SELECT count(*) FROM lesson_completions lc
		LEFT JOIN progress_events p ON p.id = lc.event_id AND p.occurred_at = lc.completed_at
		WHERE p.id IS NULL OR p.enrollment_id <> lc.enrollment_id OR p.lesson_id <> lc.lesson_id`},
	{"every event has its completion, none earlier", `SELECT count(*) FROM progress_events p
		LEFT JOIN lesson_completions lc ON lc.enrollment_id = p.enrollment_id AND lc.lesson_id = p.lesson_id
		LEFT JOIN enrollments e ON e.id = p.enrollment_id
		LEFT JOIN enrollment_progress ep ON ep.enrollment_id = p.enrollment_id
		WHERE lc.enrollment_id IS NULL OR lc.completed_at > p.occurred_at OR e.user_id <> p.user_id
		   OR ep.last_activity_at IS NULL OR p.occurred_at > ep.last_activity_at`},
	{"completed enrollments have every lesson and passed quiz", `SELECT count(*) FROM enrollments e
		WHERE e.status = 'completed' AND (
			coalesce((SELECT ep.lessons_completed FROM enrollment_progress ep WHERE ep.enrollment_id = e.id), 0) <> e.lessons_total OR EXISTS (
			SELECT 1 FROM quizzes q WHERE q.version_id = e.version_id AND NOT EXISTS (
				SELECT 1 FROM quiz_attempts a WHERE a.enrollment_id = e.id AND a.quiz_id = q.id AND a.passed)))`},
	{"certificate for a completed enrollment of its user and version", `SELECT count(*) FROM certificates c
		LEFT JOIN enrollments e ON e.id = c.enrollment_id LEFT JOIN certificate_keys k ON k.thumbprint = c.key_id
		LEFT JOIN status_lists s ON s.id = c.status_list_id
		WHERE e.id IS NULL OR k.thumbprint IS NULL OR s.id IS NULL OR e.status <> 'completed' OR c.user_id <> e.user_id
		   OR c.version_id <> e.version_id OR c.course_id <> e.course_id OR c.status_index >= s.size`},
	{"completed enrollment without certificate (the sweep would issue it)", `SELECT count(*) FROM enrollments e
		WHERE e.status = 'completed' AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.enrollment_id = e.id)`},
	{"cohort member matches its enrollment", `SELECT count(*) FROM cohort_members m
		LEFT JOIN enrollments e ON e.id = m.enrollment_id
		WHERE e.id IS NULL OR e.user_id <> m.user_id OR e.cohort_id IS DISTINCT FROM m.cohort_id`},
	{"cohort owner is a trainer", `SELECT count(*) FROM cohorts c LEFT JOIN users u ON u.id = c.owner_id
		WHERE u.id IS NULL OR NOT 'trainer' = ANY(u.roles)`},
	{"quiz attempt of the enrollment's version", `SELECT count(*) FROM quiz_attempts a
		LEFT JOIN enrollments e ON e.id = a.enrollment_id LEFT JOIN quizzes q ON q.id = a.quiz_id
		WHERE e.id IS NULL OR q.id IS NULL OR q.version_id <> e.version_id OR a.user_id <> e.user_id`},
}

func verify(ctx context.Context, db *sql.DB) error {
	var failed []string
	for _, c := range checks {
		var n int64
		t := time.Now()
		if err := db.QueryRowContext(ctx, c.q).Scan(&n); err != nil {
			return fmt.Errorf("check %q: %w", c.name, err)
		}
		log.Printf("  check %-70s %d violations (%s)", c.name, n, time.Since(t).Round(time.Millisecond))
		if n != 0 {
			failed = append(failed, c.name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("consistency checks failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

func init() {
	log.SetFlags(log.Ltime)
	log.SetOutput(os.Stderr)
}
