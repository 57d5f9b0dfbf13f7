#!/usr/bin/env bash
# Builds the Worker (build/index.js + build/index_bg.wasm). wrangler runs this as its build command.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
worker-build --release
