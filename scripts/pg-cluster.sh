#!/usr/bin/env bash
# Makes sure a PostgreSQL cluster of its own exists and runs, for the
# harnesses that must not touch the machine's main cluster (bench, chaos):
#
#   scripts/pg-cluster.sh NAME PORT [CONF]
#
# Creates cluster NAME on PORT when absent (Debian's pg_createcluster, not
# started at boot), trusts connections on loopback, installs CONF as
# conf.d/cybercampus.conf (restarting when it changed), starts the cluster
# when stopped and waits until it answers. Installs PostgreSQL with apt when
# missing. PG_VERSION picks the version (default 15 when installed, else the
# newest). Safe to run any number of times.
set -euo pipefail

name=${1:?cluster name}
port=${2:?port}
conf=${3:-}

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

pg_version() {
  if [ -n "${PG_VERSION:-}" ]; then echo "$PG_VERSION"; return; fi
  if [ -d /usr/lib/postgresql/15 ]; then echo 15; return; fi
  ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1
}

ready() { pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; }

if ! command -v pg_createcluster >/dev/null || [ -z "$(pg_version)" ]; then
  apt_install postgresql postgresql-contrib
fi
ver=$(pg_version)
etc="/etc/postgresql/$ver/$name"
ctl() { as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" "$@"; }

if [ ! -d "$etc" ]; then
  log "creating PostgreSQL $ver cluster $name on port $port"
  as_root pg_createcluster "$ver" "$name" -p "$port" --start-conf manual -- --auth=trust >/dev/null
fi
if ! as_root grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$etc/pg_hba.conf"; then
  log "allowing trusted loopback connections in $etc/pg_hba.conf"
  printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' | as_root tee -a "$etc/pg_hba.conf" >/dev/null
  if ready; then ctl reload; fi
fi
changed=0
if [ -n "$conf" ] && ! as_root cmp -s "$conf" "$etc/conf.d/cybercampus.conf"; then
  log "configuring cluster $name with $conf"
  # install, not cp: CONF may be a private temporary file, and the server
  # (running as postgres) must be able to read the copy.
  as_root install -m 0644 "$conf" "$etc/conf.d/cybercampus.conf"
  changed=1
elif [ -n "$conf" ]; then
  as_root chmod 0644 "$etc/conf.d/cybercampus.conf"
fi
if ! ready; then
  log "starting PostgreSQL cluster $ver/$name"
  ctl start
elif [ "$changed" = 1 ]; then
  ctl restart
fi
for _ in $(seq 1 300); do ready && exit 0; sleep 0.1; done
log "PostgreSQL cluster $name on port $port did not become ready"
exit 1
