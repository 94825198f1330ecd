#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (default 3s) one after another and
# fails on the first crash or broken property. `make test` runs it briefly;
# `make fuzz FUZZTIME=5m` runs it long. A failing input is written to the
# package's testdata/fuzz/<Target>/ directory, where `go test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-3s}
# Workers per target; the default leaves cores for the databases the
# certification target talks to.
FUZZ_PARALLEL=${FUZZ_PARALLEL:-1}

targets=(
  "./courses FuzzParseDocument"
  "./learners FuzzMemberCSV"
  "./learners FuzzProgressBatch"
  "./certification FuzzVerify"
  "./certification FuzzPDFName"
  "./reports FuzzReportQuery"
  "./internal/web FuzzCursor"
)

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# fuzz_once runs one target; its output also goes to $log.
fuzz_once() {
  "$GO" test -run '^$' -fuzz "^${2}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZ_PARALLEL" "$1" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

# deadline_only reports whether the last run failed only because Go's fuzz
# coordinator reported its own -fuzztime deadline as a failure (a race in
# Go before 1.27, golang/go#75804): "context deadline exceeded" with no
# failing input written and no panic.
deadline_only() {
  grep -q 'context deadline exceeded' "$log" &&
    ! grep -q -e 'Failing input written to' -e '^panic:' -e 'fuzz: minimizing' "$log"
}

failed=()
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "== $name ($pkg) for $FUZZTIME"
  if fuzz_once "$pkg" "$name"; then
    continue
  fi
  if deadline_only; then
    echo "== $name: the run ended on Go's fuzztime deadline race, not on an input; running it once more"
    if fuzz_once "$pkg" "$name"; then
      continue
    fi
  fi
  failed+=("$name")
done
if ((${#failed[@]})); then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "every fuzz target ran for $FUZZTIME without a failure"
