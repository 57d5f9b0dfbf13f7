# Sourced by the workerd benchmarks: the toolchain and the test-server helpers, the project set up
# and built, in the repository's root.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT/scripts/wrangler-test-server.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh > /dev/null
