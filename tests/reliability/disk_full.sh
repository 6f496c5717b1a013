#!/usr/bin/env bash
# Disk full: out_dir on a 64 KiB tmpfs, and runs that need more. Expected: exit status 1 (not
# bad input: the same command succeeds once there is space), one error line naming the file
# and "No space left on device", and no complete-looking result: no run folder under its
# final name, no summary.json, no staging folder, no temp file.
# Needs root (mount); exits 77 (skipped) when tmpfs cannot be mounted.
# Usage: disk_full.sh <path to sih>
set -euo pipefail
SIH=${1:?usage: disk_full.sh <sih binary>}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
tmp=$(mktemp -d /tmp/sih-diskfull-XXXXXX)
mnt="$tmp/mnt"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=64k tmpfs "$mnt" 2> /dev/null; then
  rmdir "$mnt"
  rm -rf "$tmp"
  echo "SKIP: cannot mount a tmpfs (needs root)"
  exit 77
fi
trap 'umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT

cat > "$tmp/run.yml" <<'YML'
n: 100
d: 64
h: 96
n_test: 20
num_epochs: 4
probe_freq_steps: 1
lightweight: false
save_weights: true
precision: float64
YML

check_nothing_complete() {
  local what=$1
  local found
  found=$(find "$mnt" -name summary.json)
  [[ -z "$found" ]] || fail "$what: complete-looking results left: $found"
  found=$(find "$mnt" -name '.*.partial-*')
  [[ -z "$found" ]] || fail "$what: staging folders left: $found"
  found=$(find "$mnt" -name '*.tmp.*')
  [[ -z "$found" ]] || fail "$what: temp files left: $found"
}

check_error() {
  local what=$1 rc=$2 errfile=$3
  [[ $rc == 1 ]] || fail "$what: exit status $rc, expected 1 ($(cat "$errfile"))"
  local lines
  lines=$(awk 'END { print NR }' "$errfile")
  [[ $lines == 1 ]] || fail "$what: $lines lines on stderr, expected 1: $(cat "$errfile")"
  grep -q '^sih: error: cannot write results: .*No space left on device' "$errfile" ||
    fail "$what: unclear message: $(cat "$errfile")"
}

rc=0
"$SIH" run "$tmp/run.yml" --quiet --set out_dir="$mnt/out" > "$tmp/run.out" 2> "$tmp/run.err" || rc=$?
check_error "run" $rc "$tmp/run.err"
[[ ! -s "$tmp/run.out" ]] || fail "run: printed an output folder: $(cat "$tmp/run.out")"
check_nothing_complete "run"
echo "run: $(cat "$tmp/run.err")"

# A sweep: the first failed write stops it (every further run would fail the same way).
rc=0
"$SIH" bulk-lr "$tmp/run.yml" --quiet --jobs 2 --set 'lr=[0.1, 1]' --set out_dir="$mnt/sweep" \
  > "$tmp/sweep.out" 2> "$tmp/sweep.err" || rc=$?
check_error "sweep" $rc "$tmp/sweep.err"
check_nothing_complete "sweep"
echo "sweep: $(cat "$tmp/sweep.err")"

# The same run with space: succeeds (the failure was the disk, not the input).
"$SIH" run "$tmp/run.yml" --quiet --set out_dir="$tmp/roomy" > "$tmp/ok.out" 2> "$tmp/ok.err" ||
  fail "the run fails even with space: $(cat "$tmp/ok.err")"
echo "PASS"
