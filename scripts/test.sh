#!/usr/bin/env bash
# From a fresh clone: install dependencies, build with tests, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
scripts/build.sh -DSIH_BUILD_TESTS=ON
cd "${SIH_BUILD_DIR:-build}"
ctest --output-on-failure -j 2 --timeout 600
