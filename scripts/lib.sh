# Helpers shared by the set-up scripts; source it, do not run it.

log() { printf '==> %s\n' "$*" >&2; }

# die prints why the script stops and exits non-zero.
die() { printf '==> %s\n' "$*" >&2; exit 1; }

# as_root runs a command as root: directly when we are root, else through
# sudo without a password prompt (sudo -n fails at once when one is needed).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@" ||
    die "could not run as root (sudo -n): $*; run as root or allow passwordless sudo"
  else die "need root (or sudo) to run: $*"
  fi
}

# apt_updated is set once the package lists were refreshed in this run.
apt_updated=

# apt_install installs Debian packages quietly, without recommended ones and
# without ever asking a question.
apt_install() {
  command -v apt-get >/dev/null || die "$* missing and apt-get is not available: install them by hand"
  log "installing $*"
  if [ -z "$apt_updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null >/dev/null
}
