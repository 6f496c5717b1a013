#!/usr/bin/env bash
# Issue 23: the GEMM candidates (sih's route and its own kernel, Eigen, OpenBLAS, BLIS,
# oneDNN) on sih's training and checkpoint shapes, with the CPU's FMA peak, each product's
# error against long double dot products and whether 1 and 2 threads give the same bits.
# OpenBLAS runs once with the AVX2 kernels sih pins (Haswell) and once with its AVX-512 ones
# (SkylakeX). Rates are only meaningful on an otherwise quiet machine: the load average is printed first.
# BLIS is measured only when installed (Debian: libblis4-openmp; not a sih dependency);
# oneDNN (libdnnl2) carries sih's float32 full products since issue 23 and is always there.
# Usage: bench/gemm_candidates.sh [--bin BIN] [--rounds R] [--sizes 250,500,1000,2000] [--double]
# stdout: the CSV of build/bench/sih_gemm_candidates with an openblas_coretype column first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bench/sih_gemm_candidates args=()
while (($#)); do
  case "$1" in
    --bin) bin="$2"; shift ;;
    --rounds | --sizes) args+=("$1" "$2"); shift ;;
    --double) args+=("$1") ;;
    *) echo "gemm_candidates.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $bin ]] || { echo "gemm_candidates.sh: no binary $bin (cmake --build build --target sih_gemm_candidates)" >&2; exit 2; }
echo "[gemm] $(lscpu | sed -n 's/^Model name: *//p'); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
first=1
for core in Haswell SkylakeX; do
  OPENBLAS_CORETYPE=$core "$bin" "${args[@]}" | {
    read -r header
    ((first)) && echo "openblas_coretype,$header"
    sed "s/^/$core,/"
  }
  first=0
done
