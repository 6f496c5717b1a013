#!/usr/bin/env bash
# Disk full: out_dir on a 64 KiB tmpfs, and runs that need more; then `sih plot` and `sih
# report` of a run folder on a full tmpfs. Expected: exit status 1 (not
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

# `sih plot` and `sih report` on a full disk: the run folder with its figures on a tmpfs just
# large enough, the rest filled. The new figures cannot be written: exit 1 with one line, the
# previous plots/ unchanged, no staging folder, no report.html.
rundir=$(tail -n 1 "$tmp/ok.out")
"$SIH" plot "$rundir" > /dev/null 2> "$tmp/plot-ok.err" || fail "plot with space failed: $(cat "$tmp/plot-ok.err")"
mnt2="$tmp/mnt2"
mkdir -p "$mnt2"
size=$(($(du -sb "$rundir" | cut -f1) * 2 + 262144))
mount -t tmpfs -o size=$size tmpfs "$mnt2" || fail "cannot mount the second tmpfs"
trap 'umount "$mnt" 2>/dev/null; umount "$mnt2" 2>/dev/null; rm -rf "$tmp"' EXIT
cp -a "$rundir" "$mnt2/run"
before=$(cd "$mnt2/run/plots" && md5sum ./* | sort)
dd if=/dev/zero of="$mnt2/filler" bs=4096 2> /dev/null || true
for cmd in plot report; do
  if [[ $cmd == report ]]; then
    # A cut-off figure makes report redraw them all, which cannot succeed here.
    head -c 100 "$mnt2/run/plots/losses.png" > "$tmp/cut.png"
    cat "$tmp/cut.png" > "$mnt2/run/plots/losses.png"
    before=$(cd "$mnt2/run/plots" && md5sum ./* | sort)
    dd if=/dev/zero of="$mnt2/filler2" bs=4096 2> /dev/null || true
  fi
  rc=0
  "$SIH" "$cmd" "$mnt2/run" > "$tmp/$cmd-full.out" 2> "$tmp/$cmd-full.err" || rc=$?
  [[ $rc == 1 ]] || fail "$cmd on a full disk: exit status $rc, expected 1 ($(cat "$tmp/$cmd-full.err"))"
  [[ $(awk 'END { print NR }' "$tmp/$cmd-full.err") == 1 ]] ||
    fail "$cmd on a full disk: not one line on stderr: $(cat "$tmp/$cmd-full.err")"
  grep -q '^sih: error: cannot write results: ' "$tmp/$cmd-full.err" ||
    fail "$cmd on a full disk: unclear message: $(cat "$tmp/$cmd-full.err")"
  [[ ! -s "$tmp/$cmd-full.out" ]] || fail "$cmd on a full disk: printed $(cat "$tmp/$cmd-full.out")"
  [[ $(cd "$mnt2/run/plots" && md5sum ./* | sort) == "$before" ]] || fail "$cmd on a full disk: plots/ changed"
  found=$(find "$mnt2" -name 'plots.partial-*' -o -name '*.tmp.*' -o -name report.html)
  [[ -z $found ]] || fail "$cmd on a full disk: left $found"
  echo "$cmd: $(cat "$tmp/$cmd-full.err")"
done
echo "PASS"
