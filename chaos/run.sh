#!/usr/bin/env bash
# Fault-injection run of CyberCampus (`make chaos`). It runs against its OWN
# PostgreSQL cluster ("chaos", port 5433) and its OWN Redis (port 6380), never
# against the PostgreSQL and Redis that development and tests use, because it
# stops, restarts and kills them. Safe to run any number of times: the cluster
# and Redis are created when absent and the database is made afresh each run.
#
#   chaos/run.sh                 set up, build, run every fault, print the report
#   chaos/run.sh -redis-outage 10s -quick     shorter run while developing
#   chaos/run.sh down            stop the chaos Redis and PostgreSQL cluster
#
# The harness (chaos/*.go) calls back into this script for the service faults:
#   chaos/run.sh redis-stop | redis-start | pg-restart | pg-ready
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

PG_PORT=${CHAOS_PG_PORT:-5433}
PG_CLUSTER=${CHAOS_PG_CLUSTER:-chaos}
PG_DB=${CHAOS_DB:-cybercampus_chaos}
REDIS_PORT=${CHAOS_REDIS_PORT:-6380}
REDIS_DIR=${CHAOS_REDIS_DIR:-/tmp/chaos-redis}
WORK_DIR=${CHAOS_DIR:-/tmp/cybercampus-chaos}

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

pg_version() {
  if [ -n "${CHAOS_PG_VERSION:-}" ]; then echo "$CHAOS_PG_VERSION"; return; fi
  if [ -d /usr/lib/postgresql/15 ]; then echo 15; return; fi
  ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

psql_chaos() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

ensure_packages() {
  local want=()
  command -v pg_createcluster >/dev/null && [ -n "$(pg_version)" ] || want+=(postgresql postgresql-contrib)
  command -v redis-server >/dev/null || want+=(redis-server)
  if [ ${#want[@]} -gt 0 ]; then apt_install "${want[@]}"; fi
}

# ensure_cluster creates the chaos cluster (trust authentication on loopback
# only, no start at boot) when absent and starts it when stopped.
ensure_cluster() {
  PG_VERSION=$(pg_version) ./scripts/pg-cluster.sh "$PG_CLUSTER" "$PG_PORT"
}

wait_pg() {
  for _ in $(seq 1 $(( $1 * 10 ))); do pg_ready && return 0; sleep 0.1; done
  log "PostgreSQL on port $PG_PORT did not become ready"; return 1
}

# fresh_database drops and recreates the chaos database, so every run counts
# only its own rows.
fresh_database() {
  log "creating a fresh database $PG_DB"
  psql_chaos -d postgres -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB"
}

redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_start() {
  redis_ready && return 0
  mkdir -p "$REDIS_DIR"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid"
  for _ in $(seq 1 100); do redis_ready && return 0; sleep 0.1; done
  log "Redis on port $REDIS_PORT did not start"; return 1
}

redis_stop() {
  redis_ready || return 0
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do redis_ready || return 0; sleep 0.1; done
  log "Redis on port $REDIS_PORT did not stop"; return 1
}

pg_restart() {
  as_root pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" "$PG_CLUSTER" restart
  wait_pg 60
}

run() {
  ensure_packages
  ensure_cluster
  fresh_database
  redis_start
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" flushall >/dev/null
  mkdir -p bin "$WORK_DIR"
  log "building bin/cybercampus and bin/chaos"
  go build -o bin/cybercampus ./cmd/cybercampus
  go build -o bin/chaos ./chaos
  log "running the faults (logs in $WORK_DIR)"
  bin/chaos -bin bin/cybercampus -ctl "$0" -workdir "$WORK_DIR" \
    -db "postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable" \
    -redis "127.0.0.1:$REDIS_PORT" "$@"
}

case "${1:-}" in
  redis-start) redis_start ;;
  redis-stop) redis_stop ;;
  pg-restart) pg_restart ;;
  pg-ready) wait_pg "${2:-30}" ;;
  down)
    redis_stop
    v=$(pg_version)
    if [ -n "$v" ] && [ -d "/etc/postgresql/$v/$PG_CLUSTER" ]; then
      as_root pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" stop || true
    fi ;;
  *) run "$@" ;;
esac
