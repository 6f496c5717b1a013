#!/usr/bin/env bash
# sih pins OpenBLAS's kernel itself (src/base/library_environment.cpp):
#  1. a bare `sih run` (no OPENBLAS_* variable) writes a metrics.csv byte-identical to the one
#     of `OPENBLAS_CORETYPE=Haswell sih run`, as the scripts start it;
#  2. the environment sih runs with after its re-exec (read from /proc/<pid>/environ while it
#     waits on a FIFO config) has OPENBLAS_CORETYPE=Haswell when the variable was unset, and
#     keeps the user's value when it was set.
# Skipped (77) on CPUs without AVX2 + FMA, where sih leaves the kernel to OpenBLAS.
# Usage: tests/env/openblas_pin.sh <path to sih>
set -euo pipefail
SIH=${1:?usage: openblas_pin.sh <sih binary>}
fail() { echo "FAIL: $*" >&2; exit 1; }
flags=$(grep -m1 '^flags' /proc/cpuinfo)
if [[ " $flags " != *" avx2 "* || " $flags " != *" fma "* ]]; then
  echo "SKIP: CPU without AVX2/FMA: sih does not pin OpenBLAS's kernel"
  exit 77
fi
tmp=$(mktemp -d /tmp/sih-openblas-pin-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "$0")/reexec_environ.sh"
a=$(run_in "$tmp/bare")
b=$(run_in "$tmp/pinned" OPENBLAS_CORETYPE=Haswell)
cmp "$a/metrics.csv" "$b/metrics.csv" || fail "bare and pinned sih differ: $a/metrics.csv $b/metrics.csv"
echo "bare and OPENBLAS_CORETYPE=Haswell: metrics.csv byte-identical ($(wc -l < "$a/metrics.csv") lines)"
# Not asserted (depends on the CPU): whether OpenBLAS's own choice would have differed.
c=$(run_in "$tmp/unpinned" SIH_NO_REEXEC=1 OPENBLAS_NUM_THREADS=1)
if cmp -s "$a/metrics.csv" "$c/metrics.csv"; then
  echo "info: OpenBLAS's own kernel choice (no pin, SIH_NO_REEXEC=1) gives the same bits here"
else
  echo "info: OpenBLAS's own kernel choice (no pin, SIH_NO_REEXEC=1) gives other bits here: what the pin prevents"
fi

got=$(environ_of OPENBLAS_CORETYPE)
[[ $got == Haswell ]] || fail "unset OPENBLAS_CORETYPE: sih runs with '$got', expected Haswell"
got=$(environ_of OPENBLAS_CORETYPE OPENBLAS_CORETYPE=Sandybridge)
[[ $got == Sandybridge ]] || fail "user's OPENBLAS_CORETYPE=Sandybridge: sih runs with '$got'"
echo "OPENBLAS_CORETYPE after the re-exec: Haswell when unset, the user's value when set"
