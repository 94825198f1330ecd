#!/usr/bin/env bash
# Installs axe-core, the accessibility rules the browser tests run in every
# page, from its npm package into .tools/ (ignored by git). Installs Node.js
# and npm from Debian when they are missing. Safe to run any number of times.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

AXE_VERSION=4.14.1
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools"

if [ -f "$dest/node_modules/axe-core/axe.min.js" ] &&
  grep -q "\"version\": \"$AXE_VERSION\"" "$dest/node_modules/axe-core/package.json"; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "npm is missing and apt-get is not available; install Node.js and npm by hand"
    exit 1
  fi
  apt_install --no-install-recommends nodejs npm
fi

log "installing axe-core $AXE_VERSION into .tools/"
mkdir -p "$dest"
npm install --prefix "$dest" --no-save --no-audit --no-fund --no-package-lock --silent "axe-core@$AXE_VERSION"
test -f "$dest/node_modules/axe-core/axe.min.js"
