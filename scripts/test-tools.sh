#!/usr/bin/env bash
# Installs what `make test` needs beyond Go: a C compiler for the race
# detector, and the programs some tests check the product with, so that no
# test skips on a bare machine: Chromium for the dashboard's browser test,
# pdftotext (poppler-utils) for the certificate PDF's text, and kustomize (a
# Go module, built into bin/tools, which `make test` puts on PATH) for the
# Kubernetes manifests. Each is skipped only when its SKIP_* variable is set
# (SKIP_BROWSER_TESTS, SKIP_PDF_TESTS, SKIP_KUSTOMIZE_TEST), and then the
# test skips too; otherwise a missing program fails its test. Safe to run any
# number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
export PATH="$PATH:/usr/local/go/bin"
GO=${GO:-go}
KUSTOMIZE_VERSION=v5.8.2

pkgs=()
# The race detector needs cgo, so a C compiler.
if ! command -v gcc >/dev/null; then
  pkgs+=(gcc libc6-dev)
fi
if [ -z "${SKIP_BROWSER_TESTS:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  pkgs+=(chromium fonts-dejavu-core)
fi
if [ -z "${SKIP_PDF_TESTS:-}" ] && ! command -v pdftotext >/dev/null; then
  pkgs+=(poppler-utils)
fi
if ((${#pkgs[@]})); then
  apt_install "${pkgs[@]}"
fi

if [ -z "${SKIP_KUSTOMIZE_TEST:-}" ]; then
  tools="$PWD/bin/tools"
  if [ "$("$tools/kustomize" version 2>/dev/null)" != "$KUSTOMIZE_VERSION" ]; then
    log "building kustomize $KUSTOMIZE_VERSION into bin/tools"
    GOBIN="$tools" "$GO" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  fi
fi
