#!/usr/bin/env bash
# Benchmark: builds Release, then prints (and writes as CSV under bench-results/):
#  1. sih's phases at the headline size (GEMM rate, training steps, checkpoint parts),
#     float32/float64, 1 and 2 threads (build/bench/sih_bench);
#  2. the same computation written in PyTorch (bench/torch_ref.py, Debian's python3-torch);
#  3. whole-command wall times and peak memory of sih on the paper's configs.
# Usage: scripts/bench.sh [--quick] [--no-torch] [--no-sweeps]
# The machine pins OpenBLAS to its AVX2 kernels (OPENBLAS_CORETYPE=Haswell) for correctness;
# figures are reported as measured with it set.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0 torch=1 sweeps=1
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --no-torch) torch=0 ;;
    --no-sweeps) sweeps=0 ;;
    *) echo "bench.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
scripts/build.sh -DSIH_BUILD_TESTS=OFF >/dev/null
cmake --build build --target sih_bench -j "$(nproc)" >/dev/null
mkdir -p bench-results
res=bench-results

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
echo "== GEMM: Eigen's own kernels (-march=native, OpenMP); LAPACK: $(readlink -f /usr/lib/x86_64-linux-gnu/liblapack.so.3)"
echo
echo "== 1. sih phases (n=2000, d=1000, h=1500), median ms"
build/bench/sih_bench --csv "$res/sih_phases.csv"

if ((torch)); then
  echo
  echo "== 2. PyTorch (same computation, bench/torch_ref.py), median ms"
  targs=(--csv "$res/torch_phases.csv")
  ((quick)) && targs+=(--quick)
  /usr/bin/python3 bench/torch_ref.py "${targs[@]}"
fi

# Wall time (s) and peak RSS (MB) of one command, into the whole-command table.
echo "command,wall_s,peak_rss_mb" > "$res/commands.csv"
measure() {
  local label="$1"; shift
  local out
  out=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
  local wall=${out% *} rss=${out#* }
  printf '%-58s %8.2f s %8.0f MB\n' "$label" "$wall" "$((rss / 1024))"
  echo "\"$label\",$wall,$((rss / 1024))" >> "$res/commands.csv"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo
echo "== 3. whole commands (fresh output folder each; 2 cores)"
measure "sih run configs/main.yml (full outputs)" build/sih run configs/main.yml --set out_dir="$tmp/a" --quiet
measure "sih run configs/main.yml lightweight" build/sih run configs/main.yml --set lightweight=true --set out_dir="$tmp/b" --quiet
measure "sih run configs/main.yml float64 lightweight" build/sih run configs/main.yml --set lightweight=true --set precision=float64 --set out_dir="$tmp/c" --quiet
if ((sweeps)); then
  measure "sih bulk-lr configs/bulk_lr.yml --set repeat=1" build/sih bulk-lr configs/bulk_lr.yml --set repeat=1 --set out_dir="$tmp/d" --quiet
  measure "sih bulk-losses configs/bulk_losses_vary_n.yml --set repeat=1" build/sih bulk-losses configs/bulk_losses_vary_n.yml --set repeat=1 --set out_dir="$tmp/e" --quiet
fi

if ((torch)) && [[ -f "$res/torch_phases.csv" ]]; then
  echo
  echo "== 4. side by side (float32, 2 threads): PyTorch ms / sih ms"
  /usr/bin/python3 - "$res" <<'PY'
import csv, sys
res = sys.argv[1]
sih = {(r["precision"], r["phase"]): float(r["ms"]) for r in csv.DictReader(open(f"{res}/sih_phases.csv")) if r["threads"] == "2"}
torch = {(r["precision"], r["phase"]): float(r["ms"]) for r in csv.DictReader(open(f"{res}/torch_phases.csv"))}
pairs = [("train step sgd", "train step sgd"), ("train step adam", "train step adam"),
         ("checkpoint lightweight", "checkpoint lightweight"), ("checkpoint full", "checkpoint full")]
rows = []
for prec in ("float32", "float64"):
    for tp, sp in pairs:
        if (prec, tp) in torch and (prec, sp) in sih:
            t, s = torch[(prec, tp)], sih[(prec, sp)]
            rows.append((prec, tp, t, s, t / s))
            print(f"{prec:8} {tp:26} torch {t:9.1f} ms   sih {s:8.1f} ms   x{t / s:6.1f}")
with open(f"{res}/side_by_side.csv", "w") as f:
    f.write("precision,phase,torch_ms,sih_ms,speedup\n")
    for r in rows:
        f.write("%s,%s,%.2f,%.2f,%.2f\n" % r)
PY
fi
echo
echo "CSV tables in $res/"
