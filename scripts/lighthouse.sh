#!/usr/bin/env bash
# Measures the web app with Lighthouse (mobile: its default emulated phone and
# throttled network) in Debian's Chromium, and prints the performance,
# accessibility and best-practices scores. Lighthouse is installed with npm
# into .cache/lighthouse (git-ignored); 12.2.3 is the last release that runs
# on Node 20.
#   scripts/lighthouse.sh [URL...]    (default: the app of `make run` on :8080)
# PRESET=3g measures on a slow 3G link (300 ms, 400 kbit/s) instead.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/lighthouse"
if [ ! -x "$dir/node_modules/.bin/lighthouse" ]; then
  log "installing lighthouse into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent -E lighthouse@12.2.3 >/dev/null
fi
"$(dirname "$0")/chromium.sh"
chrome=$(command -v chromium || command -v chromium-browser)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
extra=()
if [ "${PRESET:-}" = 3g ]; then
  extra=(--throttling-method=simulate --throttling.rttMs=300 --throttling.throughputKbps=400 --throttling.cpuSlowdownMultiplier=4)
fi
[ $# -gt 0 ] || set -- "http://localhost:8080/app" "http://localhost:8080/app#/catalogue"
n=0
for url in "$@"; do
  n=$((n + 1))
  profile=$(mktemp -d -p "$out")
  CHROME_PATH=$chrome "$dir/node_modules/.bin/lighthouse" "$url" --quiet \
    --only-categories=performance,accessibility,best-practices --output=json --output-path="$out/$n.json" \
    "${extra[@]}" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$profile"
  node -e '
    const r = require(process.argv[1]);
    const s = Object.entries(r.categories).map(([k, v]) => `${k} ${Math.round(v.score * 100)}`).join(", ");
    const a = (k) => r.audits[k].displayValue;
    console.log(`${process.argv[2]}: ${s}; FCP ${a("first-contentful-paint")}, LCP ${a("largest-contentful-paint")}, TBT ${a("total-blocking-time")}, CLS ${a("cumulative-layout-shift")}, ${Math.round(r.audits["total-byte-weight"].numericValue / 1024)} KiB transferred`);
  ' "$out/$n.json" "$url"
done
