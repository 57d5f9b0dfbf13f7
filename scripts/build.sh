#!/usr/bin/env bash
# Builds the Worker (build/index.js + build/index_bg.wasm). wrangler runs this as its build command.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
# PORTCULLIS_FEATURES / PORTCULLIS_OUT_DIR: the end-to-end suite's test build (see e2e.sh).
if [ -n "${PORTCULLIS_FEATURES:-}" ]; then
  worker-build --release --out-dir "${PORTCULLIS_OUT_DIR:-build}" -- --features "$PORTCULLIS_FEATURES"
else
  worker-build --release
fi
