#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer where DATABASE_URL and REDIS_URL say
# (defaults as in the program) and that the program can log in:
#
# - PostgreSQL on this machine: installs it when absent (apt-get,
#   --no-install-recommends), starts the Debian cluster configured for the
#   URL's port, or creates one on that port (pg_createcluster -p), then creates
#   the URL's role (LOGIN CREATEDB: the tests create their own databases) and
#   database. All set-up runs as the postgres OS user over the cluster's Unix
#   socket with peer authentication, so no password is ever asked for.
# - How the program logs in over TCP: with a password in DATABASE_URL, the
#   role is created with that password and Debian's default
#   scram-sha-256 rule admits it. Without one (the default URL), a cluster
#   this script created gets a `trust` rule for that one role on the loopback
#   addresses only; a cluster it did not create is never reconfigured, and the
#   script stops saying what to put in DATABASE_URL.
# - Redis on this machine: installs and starts redis-server on the URL's port.
#
# Nothing here prompts: psql runs with -w and PGCONNECT_TIMEOUT, apt-get
# non-interactively, sudo with -n; whatever cannot be done fails at once with
# a message saying why. Safe to run any number of times.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

DATABASE_URL=${DATABASE_URL:-postgres://localhost:5432/cybercampus?sslmode=disable}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5}

# urldecode decodes %XX escapes (user names and passwords in URLs).
urldecode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }

# parse_url URL sets u_user, u_pass, u_host, u_port (empty when absent),
# u_path (without the leading /) and u_query.
parse_url() {
  local rest=${1#*://} auth hostport
  u_query=; u_path=; u_user=; u_pass=
  case $rest in *\?*) u_query=${rest#*\?}; rest=${rest%%\?*};; esac
  case $rest in */*) u_path=${rest#*/}; rest=${rest%%/*};; esac
  case $rest in
    *@*) auth=${rest%@*}; hostport=${rest##*@}
         u_user=$(urldecode "${auth%%:*}")
         case $auth in *:*) u_pass=$(urldecode "${auth#*:}");; esac;;
    *) hostport=$rest;;
  esac
  case $hostport in
    \[*\]:*) u_host=${hostport%]:*}; u_host=${u_host#[}; u_port=${hostport##*]:};;
    \[*\]) u_host=${hostport#[}; u_host=${u_host%]}; u_port=;;
    *:*) u_host=${hostport%:*}; u_port=${hostport##*:};;
    *) u_host=$hostport; u_port=;;
  esac
}

parse_url "$DATABASE_URL"
pg_host=${u_host:-localhost}; pg_port=${u_port:-5432}; pg_db=$(urldecode "${u_path:-}")
# lib/pq, like libpq, logs in as PGUSER or the OS user when the URL names none.
pg_user=${u_user:-${PGUSER:-$(id -un)}}; pg_pass=$u_pass
pg_sslmode=disable
case "&$u_query&" in *"&sslmode="*) pg_sslmode=${u_query#*sslmode=}; pg_sslmode=${pg_sslmode%%&*};; *) pg_sslmode=require;; esac
[ -n "$pg_db" ] || pg_db=$pg_user

parse_url "$REDIS_URL"
rd_host=${u_host:-127.0.0.1}; rd_port=${u_port:-6379}; rd_pass=$u_pass

is_local() { case "$1" in localhost|127.*|::1) return 0;; esac; return 1; }

# --- PostgreSQL ------------------------------------------------------------

pg_ready() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; }

# The Debian cluster configured for pg_port: sets pg_ver and pg_name, or
# returns non-zero when there is none.
find_cluster() {
  local line
  command -v pg_lsclusters >/dev/null || return 1
  line=$(pg_lsclusters -h 2>/dev/null | awk -v p="$pg_port" '$3 == p { print $1, $2; exit }')
  [ -n "$line" ] || return 1
  read -r pg_ver pg_name <<<"$line"
}

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1; }

# ours tells whether this script created the cluster (and so may configure
# its authentication).
ours() { [ -f "/etc/postgresql/$pg_ver/$pg_name/cybercampus-created" ]; }
mark_ours() { as_root touch "/etc/postgresql/$pg_ver/$pg_name/cybercampus-created"; }

ctl() { as_root pg_ctlcluster --skip-systemctl-redirect "$pg_ver" "$pg_name" "$@" </dev/null; }

ensure_postgres() {
  local installed=
  if ! is_local "$pg_host"; then
    if command -v pg_isready >/dev/null && ! pg_ready; then
      die "PostgreSQL at $pg_host:$pg_port (DATABASE_URL) does not answer"
    fi
    return
  fi
  if ! command -v pg_createcluster >/dev/null || [ -z "$(pg_version)" ]; then
    apt_install postgresql
    installed=1
  fi
  if ! find_cluster && pg_ready; then
    # Not a Debian cluster (a container, a server built by hand): a cluster
    # made on its port could never start, so use the server as it is.
    log "PostgreSQL answers on port $pg_port but no Debian cluster is configured there: using that server as it is"
    return
  fi
  if ! find_cluster; then
    pg_ver=$(pg_version)
    local clusters; clusters=$(pg_lsclusters -h 2>/dev/null | awk '{ print $1 "/" $2 }')
    if [ -n "$installed" ] && [ "$clusters" = "$pg_ver/main" ]; then
      # The cluster the package has just made went to Debian's first free
      # port; it is empty, so move it to the one asked for.
      pg_name=main
      log "moving the new PostgreSQL $pg_ver cluster main to port $pg_port"
      ctl stop >/dev/null 2>&1 || true
      as_root pg_conftool "$pg_ver" main set port "$pg_port"
    else
      pg_name=cybercampus_$pg_port
      log "creating PostgreSQL $pg_ver cluster $pg_name on port $pg_port"
      as_root pg_createcluster "$pg_ver" "$pg_name" -p "$pg_port" </dev/null >/dev/null
    fi
    mark_ours
  elif [ -n "$installed" ]; then
    mark_ours
  fi
  if ! pg_ready; then
    log "starting PostgreSQL cluster $pg_ver/$pg_name on port $pg_port"
    ctl start || die "PostgreSQL cluster $pg_ver/$pg_name did not start; see /var/log/postgresql/postgresql-$pg_ver-$pg_name.log"
  fi
  for _ in $(seq 1 100); do pg_ready && return; sleep 0.2; done
  die "PostgreSQL cluster $pg_ver/$pg_name does not answer on port $pg_port; see /var/log/postgresql/postgresql-$pg_ver-$pg_name.log"
}

# app_psql runs psql as the program logs in (over TCP, never prompting).
app_psql() {
  PGPASSWORD=$pg_pass psql -w -X -q -v ON_ERROR_STOP=1 \
    "host=$pg_host port=$pg_port user=$pg_user dbname=$pg_db sslmode=$pg_sslmode" "$@" </dev/null
}

# admin_psql runs psql as the postgres OS user over the cluster's Unix socket
# (peer authentication: no password).
admin_psql() {
  local sock
  sock=$(as_root pg_conftool -s "$pg_ver" "$pg_name" show unix_socket_directories 2>/dev/null || true)
  sock=${sock%%,*}; sock=${sock:-/var/run/postgresql}
  # From /: the postgres user may not enter the current directory.
  (cd / && as_root runuser -u postgres -- psql -w -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$pg_port" -d postgres "$@")
}

ensure_role_and_db() {
  local err
  if err=$(app_psql -tAc 'select 1' 2>&1 >/dev/null); then return; fi
  if ! is_local "$pg_host" || ! find_cluster; then
    die "cannot log in to PostgreSQL at $pg_host:$pg_port as $pg_user: $err"
  fi
  command -v runuser >/dev/null || die "runuser (util-linux) is needed to set up PostgreSQL as the postgres user"
  log "creating PostgreSQL role $pg_user and database $pg_db when missing (as postgres, over the Unix socket)"
  admin_psql -v role="$pg_user" -v pw="$pg_pass" -v db="$pg_db" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role') || CASE WHEN :'pw' <> '' THEN format(' PASSWORD %L', :'pw') ELSE '' END
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  if err=$(app_psql -tAc 'select 1' 2>&1 >/dev/null); then return; fi
  case $err in
    *password*|*"no pg_hba.conf entry"*) ;;
    *) die "cannot log in to PostgreSQL at $pg_host:$pg_port as $pg_user: $err";;
  esac
  if ! ours; then
    die "PostgreSQL at $pg_host:$pg_port (cluster $pg_ver/$pg_name, not created by this script) wants a password for $pg_user.
    Put the role's password in DATABASE_URL, e.g. postgres://$pg_user:PASSWORD@$pg_host:$pg_port/$pg_db?sslmode=disable,
    or point DATABASE_URL at another port: this script then creates a cluster of its own there."
  fi
  local hba="/etc/postgresql/$pg_ver/$pg_name/pg_hba.conf"
  if [ -n "$pg_pass" ]; then
    log "setting the password of role $pg_user from DATABASE_URL (cluster $pg_ver/$pg_name was created by this script)"
    admin_psql -v role="$pg_user" -v pw="$pg_pass" >/dev/null <<'SQL'
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'pw') \gexec
SQL
  elif ! as_root grep -q '^# cybercampus: loopback trust' "$hba"; then
    log "letting role $pg_user log in over loopback without a password (cluster $pg_ver/$pg_name was created by this script)"
    # First in the file: pg_hba.conf's first matching line decides.
    as_root sed -i "1i # cybercampus: loopback trust for the role of DATABASE_URL, added by scripts/services.sh\\
host all \"$pg_user\" 127.0.0.1/32 trust\\
host all \"$pg_user\" ::1/128 trust" "$hba"
    ctl reload
  fi
  err=$(app_psql -tAc 'select 1' 2>&1 >/dev/null) ||
    die "cannot log in to PostgreSQL at $pg_host:$pg_port as $pg_user: $err"
}

# --- Redis -----------------------------------------------------------------

redis_ready() { REDISCLI_AUTH=$rd_pass redis-cli -h "$rd_host" -p "$rd_port" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if command -v redis-cli >/dev/null && redis_ready; then return; fi
  if ! is_local "$rd_host"; then
    command -v redis-cli >/dev/null || return 0
    die "Redis at $rd_host:$rd_port (REDIS_URL) does not answer"
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  redis_ready && return
  log "starting Redis on port $rd_port"
  as_root mkdir -p /var/lib/redis /var/log/redis
  local auth=()
  [ -z "$rd_pass" ] || auth=(--requirepass "$rd_pass")
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$rd_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile "/var/log/redis/cybercampus-$rd_port.log" "${auth[@]}" </dev/null
  for _ in $(seq 1 50); do redis_ready && return; sleep 0.2; done
  die "Redis did not start on port $rd_port; see /var/log/redis/cybercampus-$rd_port.log"
}

# Go fetches modules over HTTPS: a minimal Debian has no CA certificates.
ensure_ca_certificates() {
  [ -s /etc/ssl/certs/ca-certificates.crt ] || apt_install ca-certificates
}

ensure_ca_certificates
ensure_postgres
ensure_role_and_db
ensure_redis
log "PostgreSQL ($pg_host:$pg_port, database $pg_db as $pg_user) and Redis ($rd_host:$rd_port) are ready"
