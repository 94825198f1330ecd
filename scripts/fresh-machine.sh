#!/usr/bin/env bash
# Proves the README's two commands on a fresh machine: builds a new Debian
# bookworm root (debootstrap, minbase), copies only the Go toolchain in,
# clones this repository's HEAD into it, and there runs `make run` (until it
# answers over HTTP, then stops it) and `make test`, as root, without a
# terminal. `make fresh-check` runs it; it needs root on a Debian-like host.
#
# Everything runs inside new network, mount, PID, IPC and UTS namespaces
# (unshare): the machine's own PostgreSQL, Redis and ports are out of reach
# and out of harm's way, and every process and mount of the run ends with
# the namespaces. The network namespace has only its loopback interface and
# a veth pair with both ends inside (so browsers see a network). Its
# one way out is scripts/egress: a bridge inside listens on 127.0.0.1:3128
# and joins each connection to a Unix socket, where the proxy on the host
# lets through only the Debian mirror, the Go module proxy and the npm
# registry (scripts/axe.sh installs axe-core from npm for the browser tests;
# http_proxy/https_proxy point at the bridge inside).
#
# Prints the time from `make run` to its first HTTP answer and the test
# summary; exits non-zero when either command fails. Settings:
#   FRESH_RUN_ENV    variables for `make run` (default: PostgreSQL, Redis and
#                    HTTP on other ports than the defaults)
#   FRESH_TEST_ENV   variables for `make test` (default: none, the defaults)
#   FRESH_KEEP=1     keep the work directory (root file system and logs)
#   FRESH_DIR        where to make the work directory (default /var/tmp)
#   FRESH_DEBS=FILE  keep debootstrap's downloaded packages in FILE (a
#                    tarball made on the first run) and reuse them
#   RUN_TIMEOUT      seconds `make run` may take to answer (default 1800)
#   TEST_TIMEOUT     seconds `make test` may take (default 7200: with cold
#                    caches it builds everything with -race; on a 2-core
#                    machine loaded by other work it took 3579 s to the end
#                    of `go test`, before the fuzz targets)
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

FRESH_RUN_ENV=${FRESH_RUN_ENV-DATABASE_URL=postgres://localhost:5442/cybercampus?sslmode=disable REDIS_URL=redis://127.0.0.1:6390/0 HTTP_ADDR=:18080}
FRESH_TEST_ENV=${FRESH_TEST_ENV-}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
TEST_TIMEOUT=${TEST_TIMEOUT:-7200}
SUITE=bookworm
PROXY_ADDR=127.0.0.1:3128

# in_root runs a command in the new root as a fresh login would have it:
# only Go added to PATH, the proxy settings, nothing else from our
# environment.
in_root() { chroot "$root" /usr/bin/env -i "${root_env[@]}" "$@"; }

# ---------------------------------------------------------------------------
# Inside the namespaces (the script runs itself again under unshare).
inside() {
  work=$1
  root=$work/root
  root_env=(
    PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME=/root LANG=C.UTF-8 GOPROXY="$2" GOTOOLCHAIN=local
    http_proxy="http://$PROXY_ADDR" https_proxy="http://$PROXY_ADDR"
    HTTP_PROXY="http://$PROXY_ADDR" HTTPS_PROXY="http://$PROXY_ADDR"
    no_proxy=localhost,127.0.0.1,::1 NO_PROXY=localhost,127.0.0.1,::1
  )
  # Node.js (npm, for axe-core) trusts only its own list of authorities: a
  # network that inspects TLS needs its authority given to it as well, the
  # same one copied into the root for apt and Go (see below).
  if compgen -G "$root/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    root_env+=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  fi
  ip link set lo up
  # A machine has a network interface besides loopback, and browsers judge
  # whether they are online by it: with loopback alone Chromium reports
  # navigator.onLine false, and the web app's tests (which switch the
  # network off and on) would see a machine that is never online. A veth
  # pair whose two ends both stay in this namespace is such an interface
  # and still leads nowhere: no route, no peer outside.
  ip link add cc0 type veth peer name cc1
  ip addr add 10.200.0.1/30 dev cc0
  ip link set cc1 up
  ip link set cc0 up
  mount -t proc proc "$root/proc"
  mount -t sysfs -o ro sysfs "$root/sys"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  "$work/egress" -bridge "$PROXY_ADDR" -to "$work/egress.sock" 2>>"$work/egress.log" &
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/${PROXY_ADDR%:*}/${PROXY_ADDR#*:}") 2>/dev/null && break
    sleep 0.1
  done

  local t0 t1 rc
  log "fresh root: installing make, which the README's commands need besides Go"
  in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make' \
    </dev/null >"$work/make-install.log" 2>&1 || { tail -20 "$work/make-install.log"; die "could not install make"; }

  log "fresh root: make run ${FRESH_RUN_ENV:+with $FRESH_RUN_ENV}"
  local port=8080 addr
  for kv in $FRESH_RUN_ENV; do case $kv in HTTP_ADDR=*) addr=${kv#HTTP_ADDR=}; port=${addr##*:};; esac; done
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  setsid chroot "$root" /usr/bin/env -i "${root_env[@]}" $FRESH_RUN_ENV \
    sh -c 'cd /root/cybercampus && exec make run' </dev/null >"$work/run.log" 2>&1 &
  local run_pid=$! answered=
  while kill -0 "$run_pid" 2>/dev/null; do
    if "$work/egress" -probe "http://127.0.0.1:$port/v1/courses" -timeout 2s 2>/dev/null; then answered=1; break; fi
    if (( $(date +%s) - ${t0%.*} > RUN_TIMEOUT )); then break; fi
    sleep 1
  done
  t1=$(date +%s.%N)
  if [ -z "$answered" ]; then
    kill -TERM -- "-$run_pid" 2>/dev/null || true
    tail -40 "$work/run.log" >&2
    echo "make run: FAILED (no answer on port $port; log above)"
    return 1
  fi
  printf 'make run: first response (GET /v1/courses, 200) %.0f s after the command started\n' "$(awk "BEGIN { print $t1 - $t0 }")"
  grep -A1 -e 'is starting on' "$work/run.log" | sed 's/^/  printed: /'

  # The printed `users create` line must work as printed.
  local create
  create=$(grep -A1 'Create the first admin with:' "$work/run.log" | tail -1 | sed 's/^ *//')
  if in_root sh -c "cd /root/cybercampus && $create" </dev/null >"$work/users-create.log" 2>&1; then
    echo "make run: the printed 'users create' line works as printed"
  else
    cat "$work/users-create.log" >&2
    echo "make run: the printed 'users create' line FAILED: $create"
    rc=1
  fi
  kill -TERM -- "-$run_pid" 2>/dev/null || true
  wait "$run_pid" 2>/dev/null || true

  log "fresh root: make test ${FRESH_TEST_ENV:+with $FRESH_TEST_ENV}"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  if in_root $FRESH_TEST_ENV timeout "$TEST_TIMEOUT" sh -c 'cd /root/cybercampus && exec make test' \
      </dev/null >"$work/test.log" 2>&1; then
    trc=0
  else
    trc=$?
  fi
  t1=$(date +%s)
  local ok fail skip
  ok=$(grep -c '^ok ' "$work/test.log" || true)
  fail=$(grep -cE '^(FAIL|--- FAIL)' "$work/test.log" || true)
  skip=$(grep -c -- '--- SKIP' "$work/test.log" || true)
  echo "make test: exit status $trc after $((t1 - t0)) s; packages ok: $ok; FAIL lines: $fail; skipped tests: $skip"
  grep -E '^(ok|FAIL|---|panic:|every fuzz target|fuzzing failed)' "$work/test.log" | grep -v -- '--- PASS' | sed 's/^/  /' || true
  if [ "$trc" != 0 ]; then
    tail -60 "$work/test.log" >&2
    rc=1
  fi
  return "${rc:-0}"
}

if [ "${1:-}" = --inside ]; then
  shift
  inside "$@"
  exit
fi

# ---------------------------------------------------------------------------
# On the host. One brace group, so bash has read all of it before it starts:
# editing this file during a run (they take long) cannot change the run.
{
[ "$(id -u)" = 0 ] || die "fresh-machine.sh needs root (debootstrap, namespaces, chroot)"
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
cd "$repo"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "Go is needed (it is copied into the new root)"
goroot=$(go env GOROOT)
goproxy=$(go env GOPROXY); goproxy=${goproxy%%,*}
case $goproxy in https://*) ;; *) die "GOPROXY must start with an https:// proxy (it is $goproxy)";; esac
proxy_host=${goproxy#https://}; proxy_host=${proxy_host%%/*}

# The Debian mirror the host's apt uses (the first http one), and its
# security archive when apt lists one.
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -v '^[[:space:]]*#' || true)
mirror=$(grep -oE 'http://[^[:space:]]+/debian/?([[:space:]]|$)' <<<"$sources" | head -1 | tr -d '[:space:]' || true)
mirror=${mirror:-http://deb.debian.org/debian}; mirror=${mirror%/}
security=$(grep -oE 'http://[^[:space:]]+/debian-security' <<<"$sources" | head -1 || true)
hostport() { local h=${1#http://}; h=${h%%/*}; case $h in *:*) echo "$h";; *) echo "$h:80";; esac; }
# `make test` installs axe-core, which the browser tests run in every page,
# from the npm registry (scripts/axe.sh); npm inside has no other registry.
npm_registry=registry.npmjs.org:443
allow="$(hostport "$mirror"),$proxy_host:443,$npm_registry"
[ -z "$security" ] || allow="$allow,$(hostport "$security")"

for tool in debootstrap unshare ip chroot setsid; do
  command -v "$tool" >/dev/null || { apt_install debootstrap util-linux iproute2 coreutils; break; }
done

work=$(mktemp -d "${FRESH_DIR:-/var/tmp}/cybercampus-fresh.XXXXXX")
root=$work/root
egress_pid=
ns_pid=
step_pid=

# step runs a long command in a process group of its own and waits for it:
# bash handles a signal only between foreground commands, but at once
# during `wait`, and cleanup can then end the command with all its children.
step() {
  local rc=0
  setsid "$@" &
  step_pid=$!
  wait "$step_pid" || rc=$?
  step_pid=
  return "$rc"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # SIGKILL: the namespace's first process ignores SIGTERM, and unshare
  # --kill-child passes the SIGKILL on, which ends every process in it.
  [ -z "$ns_pid" ] || kill -KILL "$ns_pid" 2>/dev/null || true
  [ -z "$step_pid" ] || kill -KILL -- "-$step_pid" 2>/dev/null || true
  [ -z "$egress_pid" ] || kill "$egress_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  # Every mount was made in the run's own mount namespace; make sure none
  # leaked into ours before deleting the tree.
  if grep -q " $work/" /proc/mounts; then
    grep " $work/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l || true
  fi
  if [ -n "${FRESH_KEEP:-}" ]; then
    log "kept $work"
  elif grep -q " $work/" /proc/mounts; then
    log "mounts remain under $work; not deleting it"
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

commit=$(git rev-parse HEAD)
log "checking commit $commit in $work"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  log "note: uncommitted changes are not part of the check (it clones HEAD)"
fi

log "building the egress proxy"
CGO_ENABLED=0 go build -o "$work/egress" ./scripts/egress
"$work/egress" -listen "$work/egress.sock" -allow "$allow" 2>>"$work/egress.log" &
egress_pid=$!

start=$(date +%s)
log "debootstrap --variant=minbase $SUITE from $mirror"
bootstrap=(debootstrap --variant=minbase)
if [ -n "${FRESH_DEBS:-}" ]; then
  # Only the downloaded packages are reused; the root is unpacked anew.
  if [ ! -s "$FRESH_DEBS" ]; then
    step "${bootstrap[@]}" --make-tarball="$FRESH_DEBS" "$SUITE" "$work/debs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log"; die "debootstrap --make-tarball failed"; }
    rm -rf --one-file-system "$work/debs"
  fi
  bootstrap+=(--unpack-tarball="$(realpath "$FRESH_DEBS")")
fi
step "${bootstrap[@]}" "$SUITE" "$root" "$mirror" >>"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; die "debootstrap failed"; }
log "new root ready after $(( $(date +%s) - start )) s"

# A fresh installation's apt sources, and name resolution for localhost only.
{
  echo "deb $mirror $SUITE main"
  echo "deb $mirror $SUITE-updates main"
  [ -z "$security" ] || echo "deb $security $SUITE-security main"
} >"$root/etc/apt/sources.list"
# Certificate authorities the host's administrator added (a network that
# inspects TLS needs its own): the fresh machine would be given them too.
# ca-certificates, when `make run` installs it, puts them in the trust store.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"

log "copying Go from $goroot"
mkdir -p "$root/usr/local"
step cp -a "$goroot" "$root/usr/local/go"
log "cloning the repository"
step git clone -q --no-local "$repo" "$root/root/cybercampus"
git -C "$root/root/cybercampus" checkout -q "$commit"

unshare --net --mount --pid --ipc --uts --fork --kill-child --propagation private \
  env FRESH_RUN_ENV="$FRESH_RUN_ENV" FRESH_TEST_ENV="$FRESH_TEST_ENV" RUN_TIMEOUT="$RUN_TIMEOUT" TEST_TIMEOUT="$TEST_TIMEOUT" \
  bash "$root/root/cybercampus/scripts/fresh-machine.sh" --inside "$work" "$goproxy" &
ns_pid=$!
if wait "$ns_pid"; then
  ns_pid=
  log "fresh machine check passed in $(( $(date +%s) - start )) s (commit $commit)"
  grep -E 'allowed|denied' "$work/egress.log" | sed 's/^/  /' >&2 || true
else
  ns_pid=
  grep -E 'denied' "$work/egress.log" | sed 's/^/  /' >&2 || true
  die "fresh machine check FAILED after $(( $(date +%s) - start )) s (commit $commit); FRESH_KEEP=1 keeps $work for a look"
fi
exit
}
