#!/usr/bin/env bash
# kill -9 in the middle of a sweep, then re-run: the final aggregate.csv is byte-identical to
# the one of an uninterrupted sweep, and the staging folders of the killed runs are cleaned.
# Usage: kill9_sweep.sh <path to sih> [rounds]   (rounds: kill -9 that many times before
# letting the sweep finish; default 2)
set -euo pipefail
SIH=${1:?usage: kill9_sweep.sh <sih binary> [rounds]}
rounds=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
tmp=$(mktemp -d /tmp/sih-kill9-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ref=$(reference_sweep "$tmp")

out="$tmp/killed"
for ((r = 1; r <= rounds; r++)); do
  before=$(complete_runs "$out")
  "$SIH" bulk-lr "$tmp/sweep.yml" --quiet --set out_dir="$out" > /dev/null 2> "$tmp/kill$r.err" &
  pid=$!
  wait_for $((before + 2)) 60 complete_runs "$out" || fail "round $r: no progress within 60 s"
  kill -9 "$pid"
  rc=0
  wait "$pid" 2> /dev/null || rc=$?
  ((rc == 137)) || fail "round $r: exit status $rc after kill -9, expected 137"
  now=$(complete_runs "$out")
  stale=$(find "$out" -name '.*.partial-*' | wc -l)
  echo "round $r: killed with $now/12 runs complete, $stale staging folder(s) left by kill -9"
  ((now < 12)) || fail "round $r: the sweep finished before kill -9"
done

"$SIH" bulk-lr "$tmp/sweep.yml" --quiet --set out_dir="$out" > "$tmp/final.out" 2> "$tmp/final.err" ||
  fail "re-run failed: $(cat "$tmp/final.err")"
dir=$(tail -n 1 "$tmp/final.out")
cmp "$ref/aggregate.csv" "$dir/aggregate.csv" || fail "aggregate.csv differs from the uninterrupted sweep"
check_no_partial_output "$out"
echo "PASS: aggregate.csv identical to the uninterrupted sweep; no staging folder left"
