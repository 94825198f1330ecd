#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for the dashboard's
# browser test: installs Debian's chromium package with apt-get when no
# chromium binary is on PATH. Safe to run any number of times.
set -euo pipefail

log() { printf '==> %s\n' "$*" >&2; }

for bin in chromium chromium-browser; do
  if command -v "$bin" >/dev/null 2>&1; then
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  log "chromium is missing and apt-get is not available; install Chromium by hand"
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    log "need root to install chromium"
    exit 1
  fi
else
  SUDO=
fi

log "installing chromium"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
