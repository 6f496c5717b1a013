#!/usr/bin/env bash
# From a fresh clone: install dependencies, build, and run the paper's main experiment.
# The last line of stdout is the run's output folder.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# Debian's OpenBLAS 0.3.21 can compute wrong results with its AVX-512 kernels on these CPUs
# (docs/PERFORMANCE.md): pin its AVX2 kernels unless the caller chose otherwise.
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
exec build/sih run configs/main.yml "$@"
