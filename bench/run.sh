#!/usr/bin/env bash
# CyberCampus performance harness: `make bench` runs this script.
#
#   1. builds cybercampus and the bench tools into bench/out/bin;
#   2. recreates the bench database (never the dev database), migrates it,
#      loads the starter curriculum and makes a certificate signing key;
#   3. generates the dataset with COPY (bench/cmd/gen);
#   4. starts `cybercampus serve` on loopback against it and runs every
#      scenario with its reference (bench/cmd/load), printing
#      `scenario, ours, reference, ratio` and writing bench/out/results-*.json.
#
# Scale and knobs (environment):
#   BENCH_LEARNERS      learners (default 1000000); enrollments, events,
#                       certificates and cohorts follow (3, 30, 0.2, 0.002 per
#                       learner) unless BENCH_ENROLLMENTS, BENCH_EVENTS,
#                       BENCH_CERTIFICATES, BENCH_COHORTS are set
#   BENCH_CONNS         concurrency levels, comma-separated: every scenario
#                       is measured at each (default 8,64)
#   BENCH_DURATION      measured time per throughput run (default 15s)
#   BENCH_ROUNDS        measure every scenario and its reference this many
#                       times in turn (default 1); the report gives the
#                       rounds that met each target and the median ratio
#   BENCH_SKIP_GEN=1    reuse the bench database as generated last time
#                       (migrated to the current schema); completion →
#                       certificate takes 40 of its 400 near-complete
#                       enrollments per round and fails when none is left
#   BENCH_PG_CLUSTER    the PostgreSQL cluster the bench creates and uses
#                       (default "bench" on port BENCH_PG_PORT, 5434), set up
#                       with deploy/postgres/cybercampus.conf and memory sized
#                       to this machine; empty: use the server at
#                       PGHOST:PGPORT as it is configured
#   BENCH_DB            database name (default cybercampus_bench)
#   BENCH_REDIS_URL     the Redis the server and the load use (default
#                       REDIS_URL); required: the bench flushes its database,
#                       so it never falls back to a shared 127.0.0.1:6379
#   BENCH_PORT          port of the server under test (default 18080)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

DB_NAME=${BENCH_DB:-cybercampus_bench}
if [[ "$DB_NAME" == "cybercampus" ]]; then
	echo "bench: refusing to use the dev database" >&2
	exit 2
fi
PG_CLUSTER=${BENCH_PG_CLUSTER-bench}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
[[ -n "$PG_CLUSTER" ]] && PGHOST=127.0.0.1 && PGPORT=${BENCH_PG_PORT:-5434}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

# ensure_cluster sets up the bench's own PostgreSQL cluster (never the
# machine's other clusters) with the settings the deployment uses
# (deploy/postgres/cybercampus.conf) and memory sized to this machine.
ensure_cluster() {
	local mem_kb conf
	mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	conf=$(mktemp)
	{
		cat deploy/postgres/cybercampus.conf
		printf '\n# Sized by bench/run.sh for this machine (%d MiB of RAM).\n' $((mem_kb / 1024))
		printf 'shared_buffers = %dMB\neffective_cache_size = %dMB\n' $((mem_kb / 4096)) $((mem_kb * 3 / 4096))
	} >"$conf"
	./scripts/pg-cluster.sh "$PG_CLUSTER" "$PGPORT" "$conf"
	rm -f "$conf"
}
PORT=${BENCH_PORT:-18080}
export BENCH_DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB_NAME}?sslmode=disable"
BENCH_REDIS_URL=${BENCH_REDIS_URL:-${REDIS_URL:-}}
if [[ -z "$BENCH_REDIS_URL" ]]; then
	echo "bench: set BENCH_REDIS_URL (or REDIS_URL) to a Redis database the bench may flush" >&2
	exit 2
fi
export BENCH_REDIS_URL
export BENCH_BASE_URL="http://127.0.0.1:${PORT}"
OUT=bench/out
BIN="$OUT/bin"
mkdir -p "$BIN"

# pgbench comes with PostgreSQL; install the client tools when missing.
find_pgbench() {
	for p in "$(command -v pgbench || true)" /usr/lib/postgresql/*/bin/pgbench; do
		if [[ -n "$p" && -x "$p" ]]; then echo "$p"; return 0; fi
	done
	return 1
}
if ! PGBENCH=$(find_pgbench); then
	echo "bench: pgbench not found" >&2
	apt_install postgresql-contrib postgresql-client
	PGBENCH=$(find_pgbench)
fi
export BENCH_PGBENCH="$PGBENCH"
command -v psql >/dev/null || { echo "bench: psql is required" >&2; exit 2; }

./scripts/services.sh >/dev/null 2>&1 || true
[[ -n "$PG_CLUSTER" ]] && ensure_cluster

echo "== build"
go build -o "$BIN/cybercampus" ./cmd/cybercampus
go build -o "$BIN/bench-gen" ./bench/cmd/gen
go build -o "$BIN/bench-load" ./bench/cmd/load
go build -o "$BIN/bench-refserver" ./bench/cmd/refserver

CC_ENV=(DATABASE_URL="$BENCH_DATABASE_URL" REDIS_URL="$BENCH_REDIS_URL" HTTP_ADDR="127.0.0.1:${PORT}"
	PUBLIC_BASE_URL="$BENCH_BASE_URL" LOG_LEVEL=warn)

if [[ "${BENCH_SKIP_GEN:-0}" != "1" ]]; then
	echo "== database ${DB_NAME}: recreate, migrate, seed, certificate key"
	psql -q -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)" -c "CREATE DATABASE ${DB_NAME}"
	env "${CC_ENV[@]}" "$BIN/cybercampus" migrate up >/dev/null
	env "${CC_ENV[@]}" "$BIN/cybercampus" seed
	env "${CC_ENV[@]}" "$BIN/cybercampus" keys rotate
	echo "== generate"
	start=$(date +%s)
	"$BIN/bench-gen"
	echo "generation took $(( $(date +%s) - start ))s"
else
	# Data generated by an older build: bring its schema up to this one.
	env "${CC_ENV[@]}" "$BIN/cybercampus" migrate up >/dev/null
fi

echo "== load"
exec "$BIN/bench-load" -serve "$BIN/cybercampus" -refserver "$BIN/bench-refserver" -out "$OUT" "$@"
