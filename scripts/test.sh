#!/usr/bin/env bash
# From a fresh clone: install dependencies, build with tests and run the whole test suite:
#  1. Release build, every test (unit, reference fixtures, CLI, sweeps, plots, SLURM, signals);
#  2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (scripts/test-sanitize.sh);
#  3. each libFuzzer target for a bounded time (scripts/fuzz.sh, 30 s each).
# `scripts/test.sh --quick` runs only step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
start=$SECONDS
scripts/build.sh -DSIH_BUILD_TESTS=ON
(cd "${SIH_BUILD_DIR:-build}" && ctest --output-on-failure -j 2 --timeout 600)
echo "test.sh: release suite done in $((SECONDS - start)) s" >&2
[[ "${1:-}" == "--quick" ]] && exit 0
scripts/test-sanitize.sh
scripts/fuzz.sh 30
echo "test.sh: everything passed in $((SECONDS - start)) s" >&2
