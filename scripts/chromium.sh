#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for the dashboard's
# browser test: installs Debian's chromium package with apt-get when no
# chromium binary is on PATH. Safe to run any number of times.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

for bin in chromium chromium-browser; do
  if command -v "$bin" >/dev/null 2>&1; then
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  log "chromium is missing and apt-get is not available; install Chromium by hand"
  exit 1
fi
apt_install --no-install-recommends chromium fonts-dejavu-core
command -v chromium >/dev/null
