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
  "./certification FuzzPlainTokenBody"
  "./reports FuzzReportQuery"
)

failed=()
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "== $name ($pkg) for $FUZZTIME"
  if ! "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZ_PARALLEL" "$pkg"; then
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "every fuzz target ran for $FUZZTIME without a failure"
