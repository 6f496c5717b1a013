#!/usr/bin/env bash
# SIGINT / SIGTERM during `sih bulk-lr`, `sih run`, `sih analyze`, `sih plot` and the planning
# of a huge sweep (--dry-run):
#  - exit status 130 / 143, within 2 s of the signal for analyze, plot and planning;
#  - analyze and plot write nothing (plot keeps the previous plots/, no gnuplot is left);
#  - finished runs stay complete, the run in flight leaves nothing (no staging folder, no temp
#    file, no folder under its final name without summary.json);
#  - a re-run resumes (skips the complete runs) and its aggregate.csv is byte-identical to the
#    one of an uninterrupted sweep.
# Usage: interrupt.sh <path to sih>
set -euo pipefail
SIH=${1:?usage: interrupt.sh <sih binary>}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
tmp=$(mktemp -d /tmp/sih-interrupt-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ref=$(reference_sweep "$tmp")
total=$(complete_runs "$tmp/ref")
[[ $total == 12 ]] || fail "reference sweep has $total runs, expected 12"

for sig in INT TERM; do
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  out="$tmp/sweep-$sig"
  "$SIH" bulk-lr "$tmp/sweep.yml" --quiet --set out_dir="$out" > "$tmp/$sig.out" 2> "$tmp/$sig.err" &
  pid=$!
  wait_for 2 60 complete_runs "$out" || fail "SIG$sig sweep: no run finished within 60 s"
  kill -s "$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
  [[ $rc == "$want" ]] || fail "SIG$sig sweep: exit status $rc, expected $want ($(cat "$tmp/$sig.err"))"
  grep -q "interrupted by signal" "$tmp/$sig.err" || fail "SIG$sig sweep: no message: $(cat "$tmp/$sig.err")"
  check_no_partial_output "$out"
  done_before=$(complete_runs "$out")
  ((done_before >= 2 && done_before < total)) ||
    fail "SIG$sig sweep: $done_before of $total runs complete; the signal did not land mid-sweep"
  [[ ! -e "$out/$(basename "$ref")/aggregate.csv" ]] || fail "SIG$sig sweep: merged although interrupted"

  # Resume: the complete runs are skipped, the rest is computed, the aggregate is the same.
  "$SIH" bulk-lr "$tmp/sweep.yml" --set out_dir="$out" > "$tmp/$sig.resume.out" 2> "$tmp/$sig.resume.err" ||
    fail "SIG$sig: resumed sweep failed: $(cat "$tmp/$sig.resume.err")"
  grep -q "$done_before already complete" "$tmp/$sig.resume.err" ||
    fail "SIG$sig: resume did not skip the $done_before complete runs: $(grep 'already complete' "$tmp/$sig.resume.err")"
  dir=$(tail -n 1 "$tmp/$sig.resume.out")
  [[ $(basename "$dir") == $(basename "$ref") ]] || fail "SIG$sig: sweep id changed"
  cmp "$ref/aggregate.csv" "$dir/aggregate.csv" || fail "SIG$sig: aggregate.csv differs from the uninterrupted sweep"
  check_no_partial_output "$out"
  echo "SIG$sig sweep: exit $rc with $done_before/$total runs complete; resumed; aggregate.csv identical"
done

# `sih run`: interrupted mid-training, nothing is left at all.
write_run_config "$tmp/run.yml"
for sig in INT TERM; do
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  out="$tmp/run-$sig"
  "$SIH" run "$tmp/run.yml" --quiet --set out_dir="$out" > "$tmp/run-$sig.out" 2> "$tmp/run-$sig.err" &
  pid=$!
  # The staging folder appears when training starts (config.json is written first).
  wait_for 1 60 bash -c "find '$out' -name 'config.json' -path '*.partial-*' 2>/dev/null | wc -l" ||
    fail "run SIG$sig: training did not start within 60 s"
  sleep 0.3
  kill -s "$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
  [[ $rc == "$want" ]] || fail "run SIG$sig: exit status $rc, expected $want ($(cat "$tmp/run-$sig.err"))"
  [[ ! -s "$tmp/run-$sig.out" ]] || fail "run SIG$sig: printed an output folder: $(cat "$tmp/run-$sig.out")"
  left=""
  if [[ -e $out ]]; then left=$(find "$out" -mindepth 1); fi
  [[ -z "$left" ]] || fail "run SIG$sig: files left behind: $left"
  echo "run SIG$sig: exit $rc, nothing left in out_dir"
done

now() { date +%s.%N; }
# Sends signal $3 to pid $2 (a child of this shell: not from a subshell, which cannot wait for
# it), waits, and checks the exit status ($4) and the seconds from signal to exit (< $5).
signal_and_check() {
  local what=$1 pid=$2 sig=$3 want=$4 limit=$5 t0 rc=0 secs
  t0=$(now)
  kill -s "$sig" "$pid"
  wait "$pid" || rc=$?
  secs=$(echo "$(now) - $t0" | bc)
  [[ $rc == "$want" ]] || fail "$what: exit status $rc, expected $want"
  (($(echo "$secs < $limit" | bc))) || fail "$what: exited ${secs} s after the signal (limit $limit s)"
  echo "$what: exit $rc, ${secs} s after the signal"
}

# `sih analyze` on 48 matrices of 2000 x 1000 (~0.5 s each; 16 files, 32 more as symlinks): the
# workers take no new matrix after the signal.
python3 - "$tmp/npy" <<'PY'
import array, os, random, struct, sys
d = sys.argv[1]; os.makedirs(d)
rows, cols = 2000, 1000
rng = random.Random(1)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
data = array.array('f', (rng.gauss(0, 1) for _ in range(rows * cols)))
for k in range(16):
    with open(os.path.join(d, "w%02d.npy" % k), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(data.tobytes())
for k in range(16, 48):
    os.symlink("w%02d.npy" % (k % 16), os.path.join(d, "w%02d.npy" % k))
PY
for sig in INT TERM; do
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  "$SIH" analyze "$tmp"/npy/*.npy --jobs 2 --quiet --out "$tmp/analyze-$sig.csv" --plot "$tmp/esd-$sig" \
    > /dev/null 2> "$tmp/analyze-$sig.err" &
  pid=$!
  sleep 1
  kill -0 "$pid" 2> /dev/null || fail "analyze SIG$sig: finished before the signal; make the matrices larger"
  signal_and_check "analyze SIG$sig" "$pid" "$sig" "$want" 2
  [[ ! -e "$tmp/analyze-$sig.csv" && ! -e "$tmp/esd-$sig" ]] || fail "analyze SIG$sig: wrote output"
  left=$(find "$tmp" -maxdepth 1 -name '*.tmp.*')
  [[ -z $left ]] || fail "analyze SIG$sig: temp files left: $left"
done

# `sih plot` of a run with spectra (45 figures, ~4 s): the
# previous plots/ stays byte for byte, no staging folder and no gnuplot is left.
write_run_config "$tmp/plotrun.yml"
rundir=$("$SIH" run "$tmp/plotrun.yml" --quiet --set out_dir="$tmp/plotrun" --set n=200 --set d=40 \
  --set h=60 --set lightweight=false --set num_epochs=40 --set probe_freq_steps=4 | tail -n 1)
"$SIH" plot "$rundir" > /dev/null 2>&1 || fail "plot of the run failed"
before=$(cd "$rundir/plots" && md5sum ./* | sort)
for sig in INT TERM; do
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  "$SIH" plot "$rundir" > "$tmp/plot-$sig.out" 2> "$tmp/plot-$sig.err" &
  pid=$!
  wait_for 1 30 bash -c "find '$rundir' -maxdepth 2 -path '*plots.partial-*/*.png' | wc -l" ||
    fail "plot SIG$sig: no figure staged within 30 s"
  signal_and_check "plot SIG$sig" "$pid" "$sig" "$want" 2
  [[ ! -s "$tmp/plot-$sig.out" ]] || fail "plot SIG$sig: listed figures: $(cat "$tmp/plot-$sig.out")"
  [[ $(cd "$rundir/plots" && md5sum ./* | sort) == "$before" ]] || fail "plot SIG$sig: plots/ changed"
  left=$(find "$rundir" -maxdepth 1 -name 'plots.partial-*')
  [[ -z $left ]] || fail "plot SIG$sig: staging folder left: $left"
  sleep 0.2
  ! pgrep -f "gnuplot -c .*$rundir" > /dev/null || fail "plot SIG$sig: gnuplot still running"
done

# Planning a huge dry run (20000 learning rates x 5 repeats: planning is linear, ~0.1 ms a
# run, so many seconds) stops too.
{ echo "$sizes"; echo "n_test: 100"; echo "num_epochs: 1"; echo "lightweight: true"
  echo "repeat: 5"; echo "lr: [$(seq -s ', ' 1 20000)]"; } > "$tmp/huge.yml"
for sig in INT TERM; do
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  "$SIH" bulk-lr "$tmp/huge.yml" --dry-run --max-runs 1000000 --set out_dir="$tmp/huge" \
    > "$tmp/huge-$sig.out" 2> "$tmp/huge-$sig.err" &
  pid=$!
  sleep 1.5
  kill -0 "$pid" 2> /dev/null || fail "planning SIG$sig: finished before the signal"
  signal_and_check "planning SIG$sig" "$pid" "$sig" "$want" 2
  [[ ! -s "$tmp/huge-$sig.out" && ! -e "$tmp/huge" ]] || fail "planning SIG$sig: printed or wrote a plan"
done
echo "PASS"
