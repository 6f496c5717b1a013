#!/usr/bin/env bash
# Two sih processes on one machine (issue 24): each should take about its fair share.
# Times, per round: the small run alone; two of it at once (the slower of the two); the same
# run beside a sweep of small runs (the sweep uses every CPU: runs in parallel). Prints each
# round, then the medians and the ratios to the run alone. Issue 24's target: both ratios
# <= 2.5 on 2 cores. Wall times are only meaningful on an otherwise quiet machine: the script
# prints the load average before each round.
# Usage: bench/two_processes.sh [--sih BIN] [--rounds N] [--set KEY=VALUE ...]
#   --sih BIN   the binary (default build/sih); --set adds overrides to the small run
set -euo pipefail
cd "$(dirname "$0")/.."
sih=build/sih rounds=3 extra=()
while (($#)); do
  case "$1" in
    --sih) sih="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --set) extra+=(--set "$2"); shift ;;
    *) echo "two_processes.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $sih ]] || { echo "two_processes.sh: no binary $sih (build it, or --sih BIN)" >&2; exit 2; }
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
# Issue 24's case: n=400, d=100, h=150, 4000 full-batch Adam steps (0.5-0.8 s alone on 2 cores).
cat > "$tmp/small.yml" <<'YML'
n: 400
batch_size: 400
n_test: 100
d: 100
h: 150
optimizer: adam
lr: 0.01
num_epochs: 4000
probe_freq_steps: 1000
lightweight: true
YML
# A sweep that outlasts the run: 12 runs like it, in parallel over the CPUs.
cat > "$tmp/sweep.yml" <<'YML'
n: 400
batch_size: 400
n_test: 100
d: 100
h: 150
optimizer: adam
num_epochs: 4000
probe_freq_steps: 1000
lightweight: true
lr: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
repeat: 2
YML
run() {  # label: wall seconds of the small run into a fresh folder, written to $tmp/label
  /usr/bin/time -o "$tmp/$1" -f "%e" "$sih" run "$tmp/small.yml" --quiet --force \
    --set out_dir="$tmp/out-$1" "${extra[@]}" >/dev/null 2>"$tmp/$1.err" ||
    { cat "$tmp/$1.err" >&2; exit 1; }
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; sih: $sih"
echo "round,load1,alone_s,pair_s,beside_sweep_s"
: > "$tmp/alone.all"; : > "$tmp/pair.all"; : > "$tmp/sweep.all"
for ((r = 1; r <= rounds; r++)); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  run alone
  run a & pa=$!
  run b & pb=$!
  wait $pa $pb
  pair=$(sort -g "$tmp/a" "$tmp/b" | tail -n 1)
  "$sih" sweep "$tmp/sweep.yml" --quiet --force --set out_dir="$tmp/sweep-$r" >/dev/null 2>&1 &
  ps=$!
  sleep 0.5  # let the sweep start its runs
  run beside
  kill -INT $ps 2>/dev/null || true
  wait $ps 2>/dev/null || true
  echo "$r,$load,$(cat "$tmp/alone"),$pair,$(cat "$tmp/beside")"
  cat "$tmp/alone" >> "$tmp/alone.all"; echo "$pair" >> "$tmp/pair.all"
  cat "$tmp/beside" >> "$tmp/sweep.all"
done
alone=$(median < "$tmp/alone.all") pair=$(median < "$tmp/pair.all") beside=$(median < "$tmp/sweep.all")
echo "median: alone ${alone} s, two at once ${pair} s (x $(awk -v a="$pair" -v b="$alone" 'BEGIN {printf "%.2f", a / b}')), beside a sweep ${beside} s (x $(awk -v a="$beside" -v b="$alone" 'BEGIN {printf "%.2f", a / b}')); target <= 2.5"
