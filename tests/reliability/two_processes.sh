#!/usr/bin/env bash
# Two sih processes at once on one machine (issue 24): both finish (exit 0) and each writes the
# metrics.csv of the same run alone, byte for byte. Correctness only: the time they take is
# measured by bench/two_processes.sh, not here. The run is small enough that its loops run on
# one thread (core/parallel.hpp), the case that used to take 30x longer beside another process;
# a second pair sets threads: 2 explicitly, and threads 0 and 2 must give the same bits.
# Usage: two_processes.sh <path to sih>
set -euo pipefail
SIH=${1:?usage: two_processes.sh <sih binary>}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
tmp=$(mktemp -d /tmp/sih-two-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/small.yml" <<'YML'
n: 200
batch_size: 200
n_test: 50
d: 50
h: 80
optimizer: adam
lr: 0.01
num_epochs: 300
probe_freq_steps: 100
lightweight: true
YML

for threads in 0 2; do
  "$SIH" run "$tmp/small.yml" --quiet --set out_dir="$tmp/alone-$threads" --set threads=$threads \
    > "$tmp/alone.out" 2> "$tmp/alone.err" || fail "run alone failed: $(cat "$tmp/alone.err")"
  ref=$(find "$tmp/alone-$threads" -name metrics.csv)
  [[ -s $ref ]] || fail "run alone wrote no metrics.csv"
  pids=()
  for k in 1 2; do
    "$SIH" run "$tmp/small.yml" --quiet --set out_dir="$tmp/pair-$threads-$k" \
      --set threads=$threads > "$tmp/$k.out" 2> "$tmp/$k.err" &
    pids+=($!)
  done
  for k in 1 2; do
    rc=0
    wait "${pids[$((k - 1))]}" || rc=$?
    [[ $rc == 0 ]] || fail "threads=$threads: run $k of the pair exited $rc: $(cat "$tmp/$k.err")"
    got=$(find "$tmp/pair-$threads-$k" -name metrics.csv)
    [[ -s $got ]] || fail "threads=$threads: run $k of the pair wrote no metrics.csv"
    cmp -s "$ref" "$got" ||
      fail "threads=$threads: run $k of the pair: metrics.csv differs from the run alone"
  done
done
# threads 0 and 2 give the same bits too (model.hpp).
cmp -s "$(find "$tmp/alone-0" -name metrics.csv)" "$(find "$tmp/alone-2" -name metrics.csv)" ||
  fail "threads 0 and 2: metrics.csv differs"
echo "two concurrent runs: both exit 0 with the metrics of a run alone"
