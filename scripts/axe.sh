#!/usr/bin/env bash
# Installs axe-core (the accessibility rules engine the web app's browser
# tests run in every screen) with npm into .cache/axe, which git ignores.
# Safe to run any number of times; prints nothing when it is already there.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/axe"
if [ -f "$dir/node_modules/axe-core/axe.min.js" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  apt_install --no-install-recommends npm
fi
log "installing axe-core into $dir"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --silent axe-core@4 >/dev/null
test -f "$dir/node_modules/axe-core/axe.min.js"
