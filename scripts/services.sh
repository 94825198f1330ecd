#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis are reachable for CyberCampus: starts them
# when installed but stopped, installs them with apt when absent (as root),
# and creates the database role and database. Safe to run any number of times.
set -euo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://localhost:5432/cybercampus?sslmode=disable}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

log() { printf '==> %s\n' "$*" >&2; }

# Parse host, port and database from the URLs (no secrets are printed).
pg_rest=${DATABASE_URL#*://}; pg_rest=${pg_rest#*@}
pg_hostport=${pg_rest%%/*}; pg_host=${pg_hostport%%:*}; pg_port=${pg_hostport##*:}
[ "$pg_port" = "$pg_hostport" ] && pg_port=5432
pg_db=${pg_rest#*/}; pg_db=${pg_db%%\?*}
rd_rest=${REDIS_URL#*://}; rd_rest=${rd_rest#*@}
rd_hostport=${rd_rest%%/*}; rd_host=${rd_hostport%%:*}; rd_port=${rd_hostport##*:}
[ "$rd_port" = "$rd_hostport" ] && rd_port=6379

is_local() { case "$1" in localhost|127.0.0.1|::1|"") return 0;; esac; return 1; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to install $*"; exit 1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; }

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_ready; then return; fi
  if ! is_local "$pg_host"; then log "PostgreSQL at $pg_host:$pg_port is not reachable"; exit 1; fi
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-contrib
  fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || service postgresql start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { log "PostgreSQL did not start"; exit 1; }
}

# The role the URL connects as (default: the OS user) must exist; the local
# superuser creates it when it does not.
ensure_role_and_db() {
  is_local "$pg_host" || return 0
  local user=${pg_rest%%@*}
  [ "$user" = "$pg_rest" ] && user=$(id -un)
  user=${user%%:*}
  if ! psql -h "$pg_host" -p "$pg_port" -U "$user" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    log "creating PostgreSQL role $user"
    su postgres -c "psql -p $pg_port -tAc \"CREATE ROLE \\\"$user\\\" LOGIN SUPERUSER\"" >/dev/null
  fi
  if [ -n "$pg_db" ] && ! psql -h "$pg_host" -p "$pg_port" -U "$user" -d postgres -tAc "select 1 from pg_database where datname='$pg_db'" | grep -q 1; then
    log "creating database $pg_db"
    createdb -h "$pg_host" -p "$pg_port" -U "$user" "$pg_db"
  fi
}

redis_ready() { redis-cli -h "$rd_host" -p "$rd_port" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if command -v redis-cli >/dev/null && redis_ready; then return; fi
  if ! is_local "$rd_host"; then log "Redis at $rd_host:$rd_port is not reachable"; exit 1; fi
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$rd_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/cybercampus.log
  for _ in $(seq 1 20); do redis_ready && break; sleep 0.5; done
  redis_ready || { log "Redis did not start"; exit 1; }
}

ensure_postgres
ensure_role_and_db
ensure_redis
log "PostgreSQL ($pg_host:$pg_port) and Redis ($rd_host:$rd_port) are ready"
