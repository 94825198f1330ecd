// Package benchdata holds what the data generator, the load generator and the
// pgbench scripts must agree on: deterministic learner ids, fast random UUIDs,
// the scale read from the environment and the bench schema's pool tables.
package benchdata

import (
	"crypto/md5"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

// UserID is the id of generated learner n (1-based): md5("u:<n>") read as a
// UUID, which pgbench computes as md5('u:' || :n)::uuid. The ids are as
// scattered over the key space as random UUIDs, so index locality is realistic.
func UserID(n int) string { return md5UUID("u:" + strconv.Itoa(n)) }

// StaffID is the id of generated staff member n (trainers, analysts, admin).
func StaffID(n int) string { return md5UUID("s:" + strconv.Itoa(n)) }

func md5UUID(s string) string {
	sum := md5.Sum([]byte(s))
	return formatUUID(sum)
}

func formatUUID(b [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], b[10:16])
	return string(buf[:])
}

// NewUUID returns a version 4 UUID from r (not for secrets: bench data only).
func NewUUID(r *rand.Rand) string {
	var b [16]byte
	a, c := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// Scale is the size of the generated dataset.
type Scale struct {
	Learners, Enrollments, Events, Certificates, Cohorts int
	E2E                                                  int // near-complete enrollments kept for the completion → certificate scenario
	Pool                                                 int // enrollments sampled into each load pool
	Seed                                                 uint64
}

// ScaleFromEnv reads BENCH_LEARNERS (default 1,000,000) and derives every
// other size from it unless set: 3 enrollments, 30 progress events, 0.2
// certificates and 0.002 cohorts per learner.
func ScaleFromEnv() Scale {
	l := Int("BENCH_LEARNERS", 1_000_000)
	return Scale{
		Learners:     l,
		Enrollments:  Int("BENCH_ENROLLMENTS", 3*l),
		Events:       Int("BENCH_EVENTS", 30*l),
		Certificates: Int("BENCH_CERTIFICATES", l/5),
		Cohorts:      Int("BENCH_COHORTS", max(1, l/500)),
		E2E:          Int("BENCH_E2E", 400),
		Pool:         Int("BENCH_POOL", 100_000),
		Seed:         uint64(Int("BENCH_SEED", 20261122)),
	}
}

// Int reads a whole number from the environment ("1_000_000" and "1e6" style
// underscores allowed), or def.
func Int(name string, def int) int {
	v := strings.ReplaceAll(strings.TrimSpace(os.Getenv(name)), "_", "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return def
		}
		n = int(f)
	}
	return n
}

// Duration reads a duration from the environment, or def.
func Duration(name string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(os.Getenv(name)))
	if err != nil || d <= 0 {
		return def
	}
	return d
}

// Str reads a string from the environment, or def.
func Str(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

// PoolSchema creates the bench schema's pool tables: load targets sampled by
// the generator. Odd n are driven through the API, even n by the reference,
// so neither replays the other's rows.
const PoolSchema = `
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE bench.pool_one (n bigserial PRIMARY KEY, user_n integer NOT NULL, user_id uuid NOT NULL,
	enrollment_id uuid NOT NULL, lesson_id uuid NOT NULL);
CREATE TABLE bench.pool_batch (n bigserial PRIMARY KEY, user_n integer NOT NULL, user_id uuid NOT NULL,
	enrollment_id uuid NOT NULL, version_id uuid NOT NULL);
CREATE TABLE bench.pool_e2e (n bigserial PRIMARY KEY, user_n integer NOT NULL, user_id uuid NOT NULL,
	enrollment_id uuid NOT NULL, lesson_id uuid NOT NULL, slug text NOT NULL);
CREATE TABLE bench.info (key text PRIMARY KEY, value text NOT NULL);
`
