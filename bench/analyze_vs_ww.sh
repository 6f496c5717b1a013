#!/usr/bin/env bash
# `sih analyze` against weightwatcher 0.7.5.5's analyze(mp_fit=True) on the same matrices:
# NUM (default 24) float32 matrices, half 768 x 3072 and half 768 x 768 (N(0, 1/768) entries
# plus a planted rank-4 spike, seeded), saved as .npy. weightwatcher gets them as the
# nn.Linear layers of one torch model; only analyze() is timed (model building excluded).
# sih is timed end to end (process start, reading the files, writing the CSV). Rounds are
# interleaved (sih, then weightwatcher) so both see the same machine state; the ratio is
# per round, the summary the median.
#
# Usage: WW_SRC=/tmp/ww PL_SRC=/tmp/pl [SIH_BIN=build/sih] bench/analyze_vs_ww.sh [--rounds N] [--num NUM]
#   WW_SRC / PL_SRC: folders holding weightwatcher (commit 02bfaf5, "0.7.5.5") and powerlaw
#   (tests/data/ww/README.md says how to check them out); Debian python3-torch, -numpy,
#   -scipy, -pandas, -matplotlib, -sklearn, -h5py, -dill, -mpmath, -tqdm.
# stdout: CSV round,sih_wall_s,ww_analyze_s,speedup; stderr: the median line.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 num=24
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --num) num="$2"; shift ;;
    *) echo "analyze_vs_ww: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
sih="${SIH_BIN:-build/sih}"
[[ -x "$sih" ]] || { echo "analyze_vs_ww: $sih missing (cmake --build build --target sih)" >&2; exit 2; }
: "${WW_SRC:?set WW_SRC to a weightwatcher 0.7.5.5 source folder}"
: "${PL_SRC:?set PL_SRC to a powerlaw source folder}"
py=/usr/bin/python3
work=$(mktemp -d /tmp/sih-bench-analyze-XXXXXX)
trap 'rm -rf "$work"' EXIT

"$py" - "$work" "$num" <<'PY'
import sys, numpy as np
out, num = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(12)
for i in range(num):
    d = 3072 if i % 2 == 0 else 768
    W = rng.standard_normal((768, d)) / np.sqrt(768)
    u = np.linalg.qr(rng.standard_normal((768, 4)))[0]
    v = np.linalg.qr(rng.standard_normal((d, 4)))[0]
    W += (u * np.array([8.0, 6.0, 5.0, 4.0])) @ v.T
    np.save(f"{out}/m{i:02d}_768x{d}.npy", W.astype(np.float32))
PY

cat > "$work/ww_time.py" <<'PY'
import glob, os, sys, time, types
import torch
import numpy as np
sys.path[:0] = [os.environ["WW_SRC"], os.environ["PL_SRC"]]
try:
    import safetensors  # noqa: F401
except ImportError:
    m = types.ModuleType("safetensors"); m.safe_open = None; sys.modules["safetensors"] = m
import weightwatcher as ww
files = sorted(glob.glob(sys.argv[1] + "/*.npy"))
layers = []
for f in files:
    W = torch.from_numpy(np.load(f))
    lin = torch.nn.Linear(W.shape[1], W.shape[0], bias=False)
    with torch.no_grad():
        lin.weight.copy_(W)
    layers.append(lin)
model = torch.nn.Sequential(*layers)
watcher = ww.WeightWatcher(model=model)
t0, c0 = time.perf_counter(), time.process_time()
details = watcher.analyze(mp_fit=True, randomize=False, plot=False)
t1, c1 = time.perf_counter(), time.process_time()
assert len(details) == len(files), (len(details), len(files))
print(f"{t1 - t0:.3f} {c1 - c0:.3f}")
PY

# sih's wall and CPU (user + sys of the process and its threads) from one python wrapper
cat > "$work/sih_time.py" <<'PY'
import resource, subprocess, sys, time
t0 = time.perf_counter()
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(sys.argv[1:], check=True)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
t1 = time.perf_counter()
print(f"{t1 - t0:.3f} {(r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime):.3f}")
PY

echo "round,sih_wall_s,sih_cpu_s,ww_analyze_wall_s,ww_analyze_cpu_s,speedup_wall,speedup_cpu"
ratios=() cratios=()
for ((r = 1; r <= rounds; r++)); do
  read -r sih_s sih_c < <("$py" "$work/sih_time.py" "$sih" analyze "$work"/*.npy --quiet --out "$work/sih.csv")
  read -r ww_s ww_c < <(WW_SRC="$WW_SRC" PL_SRC="$PL_SRC" "$py" "$work/ww_time.py" "$work" 2>/dev/null | tail -1)
  ratio=$(echo "$ww_s / $sih_s" | bc -l)
  cratio=$(echo "$ww_c / $sih_c" | bc -l)
  printf "%d,%.3f,%.3f,%.3f,%.3f,%.1f,%.1f\n" "$r" "$sih_s" "$sih_c" "$ww_s" "$ww_c" "$ratio" "$cratio"
  ratios+=("$ratio")
  cratios+=("$cratio")
done
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "analyze_vs_ww: %s matrices (768x3072 / 768x768), median speedup %.1fx wall, %.1fx CPU over %d rounds (nproc %s, load %s)\n" \
  "$num" "$(med "${ratios[@]}")" "$(med "${cratios[@]}")" "$rounds" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" >&2
