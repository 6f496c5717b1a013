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

# Big enough that LAPACK's eigensolver takes its blocked paths (d > OpenBLAS's block size);
# smaller under sanitizers (scripts/test-sanitize.sh), where sih runs ~50x slower.
if [[ ${SIH_SANITIZED:-0} == 1 ]]; then
  echo $'n: 200\nh: 160\nd: 120' > "$tmp/c.yml"
else
  echo $'n: 400\nh: 400\nd: 300' > "$tmp/c.yml"
fi
cat >> "$tmp/c.yml" <<'YML'
L: 2
n_test: 100
label_noise_std: 0.3
optimizer: adam
lr: 1
reg_lambda: 0.01
num_epochs: 4
probe_freq_steps: 2
probe_weights: true
probe_features: true
fix_last_layer: true
lightweight: true
YML

bare=(env -u OPENBLAS_CORETYPE -u OPENBLAS_NUM_THREADS -u OPENBLAS_L2_SIZE -u SIH_NO_REEXEC)
run_in() {  # run_in OUT_DIR COMMAND...: `COMMAND run c.yml` into OUT_DIR; prints the run folder
  local out=$1
  shift
  "$@" run "$tmp/c.yml" --quiet --set out_dir="$out" | tail -n 1
}
a=$(run_in "$tmp/bare" "${bare[@]}" "$SIH")
b=$(run_in "$tmp/pinned" "${bare[@]}" OPENBLAS_CORETYPE=Haswell "$SIH")
cmp "$a/metrics.csv" "$b/metrics.csv" || fail "bare and pinned sih differ: $a/metrics.csv $b/metrics.csv"
echo "bare and OPENBLAS_CORETYPE=Haswell: metrics.csv byte-identical ($(wc -l < "$a/metrics.csv") lines)"
# Not asserted (depends on the CPU): whether OpenBLAS's own choice would have differed.
c=$(run_in "$tmp/unpinned" "${bare[@]}" SIH_NO_REEXEC=1 OPENBLAS_NUM_THREADS=1 "$SIH")
if cmp -s "$a/metrics.csv" "$c/metrics.csv"; then
  echo "info: OpenBLAS's own kernel choice (no pin, SIH_NO_REEXEC=1) gives the same bits here"
else
  echo "info: OpenBLAS's own kernel choice (no pin, SIH_NO_REEXEC=1) gives other bits here: what the pin prevents"
fi

source "$(dirname "$0")/reexec_environ.sh"
got=$(environ_of OPENBLAS_CORETYPE)
[[ $got == Haswell ]] || fail "unset OPENBLAS_CORETYPE: sih runs with '$got', expected Haswell"
got=$(environ_of OPENBLAS_CORETYPE OPENBLAS_CORETYPE=Sandybridge)
[[ $got == Sandybridge ]] || fail "user's OPENBLAS_CORETYPE=Sandybridge: sih runs with '$got'"
echo "OPENBLAS_CORETYPE after the re-exec: Haswell when unset, the user's value when set"
