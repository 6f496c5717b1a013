#!/usr/bin/env bash
# End-to-end test of scripts/slurm on a real one-node SLURM cluster (scripts/slurm/cluster-up.sh):
#  1. submit-sweep.sh rejects bad arguments with a one-line message and submits nothing;
#  2. a small bulk-lr sweep as a 3-task array + merge job gives the same aggregate.csv (byte for
#     byte) and runs.csv (but for wall_time_s) as the same sweep run locally without shards;
#  3. when one task fails, the merge job is cancelled (not pending forever), and re-submitting
#     the sweep runs only the missing runs and completes it.
# Brings the cluster down at the end, unless someone else had started it before the test.
# Usage: tests/slurm/test_slurm_sweep.sh [SIH]   (default: $SIH, else <repo>/build/sih)
# Exit status: 0 all passed, 1 a failure, 77 skipped (not root, or SLURM cannot be installed).
# Environment: SLURM_TEST_TIMEOUT (default 180): seconds to wait for each job to finish.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
scripts=$repo/scripts/slurm
sih=${1:-${SIH:-$repo/build/sih}}
timeout_s=${SLURM_TEST_TIMEOUT:-180}
export SLURM_CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
export PATH="$PATH:/usr/sbin:/sbin"
state_dir=${SIH_SLURM_DIR:-/tmp/sih-slurm}

if [[ $(id -u) -ne 0 ]]; then
  echo "slurm: skipped: needs root to start a one-node SLURM cluster"
  exit 77
fi
if [[ ! -x $sih ]]; then
  echo "slurm: no sih binary at $sih"
  echo "slurm: 0 passed, 1 failed"
  exit 1
fi
sih=$(realpath "$sih")

passed=0 failed=0
pass() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# One run of this test at a time on a machine (they share the cluster).
exec 9>/tmp/sih-slurm-test.lock
if ! flock -w 300 9; then
  echo "slurm: another run of this test held /tmp/sih-slurm-test.lock for 300 s"
  echo "slurm: 0 passed, 1 failed"
  exit 1
fi

t0=$SECONDS
tmp=$(mktemp -d /tmp/sih-slurm-test.XXXXXX)
started=0 down_done=0
cleanup() {
  if ((started && !down_done)); then
    bash "$scripts/cluster-down.sh" >/dev/null 2>&1 9>&-
    rm -f "$state_dir/started-by-test"
  fi
  if ((failed == 0)); then rm -rf "$tmp"; else echo "slurm: files kept in $tmp"; fi
}
trap cleanup EXIT
# set -e stops at a failing command outside `check`: say which.
trap 'echo "slurm: FAIL: a command failed at line $LINENO" >&2' ERR
trap 'echo "slurm: interrupted"; exit 1' INT TERM

# --- the cluster -------------------------------------------------------------------------------
rc=0
up=$(bash "$scripts/cluster-up.sh" 2>&1 9>&-) || rc=$?  # 9>&-: the daemons must not hold the lock
echo "$up"
if ((rc == 3)); then
  echo "slurm: skipped: SLURM (slurm-wlm, munge) is not installed and apt-get could not install it"
  exit 77
fi
if ((rc != 0)); then
  fail "cluster-up.sh brings up a one-node cluster"
  echo "slurm: $passed passed, $failed failed"
  exit 1
fi
# Bring it down at the end if this test started it, or if an earlier run of this test that was
# killed before its cleanup did (its mark is still there), but not a cluster someone else started.
if ! grep -q 'already up' <<<"$up" || [[ -e $state_dir/started-by-test ]]; then
  started=1
  touch "$state_dir/started-by-test"
fi
pass "cluster-up.sh: node idle ($((SECONDS - t0)) s)"
up_again() { bash "$scripts/cluster-up.sh" 2>&1 9>&- | grep -q "already up"; }
check "cluster-up.sh again: already up, leaves it alone" up_again

# wait_gone JOBID: until squeue no longer lists the job (or array), at most $timeout_s seconds.
wait_gone() {
  local deadline=$((SECONDS + timeout_s)) out
  while ((SECONDS < deadline)); do
    # rc 0 and nothing listed = finished (squeue only lists pending/running/completing jobs).
    if out=$(squeue -h -j "$1" -o %i 2>/dev/null) && [[ -z $out ]]; then return 0; fi
    sleep 0.2
  done
  echo "slurm: job $1 still queued after $timeout_s s:" >&2
  squeue -j "$1" >&2
  return 1
}
# task_states ARRAY_ID: "1:COMPLETED 2:FAILED ..." (the final states of the array's tasks).
task_states() {
  scontrol show job -o "$1" 2>/dev/null |
    awk '{ t = ""; s = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^ArrayTaskId=/) t = substr($i, 13)
             if ($i ~ /^JobState=/) s = substr($i, 10) }
           print t ":" s }' | sort -n | xargs
}
job_state() { scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n1 | cut -d= -f2; }
last_line() { if [[ -f $1 ]]; then awk 'NF { l = $0 } END { print l }' "$1"; fi; }
# runs.csv without its wall_time_s column (the only one that differs between two executions).
strip_wall() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_time_s") c = i }
           { o = ""; s = ""; for (i = 1; i <= NF; i++) if (i != c) { o = o s $i; s = "," }; print o }' "$1"
}
same() { [[ $1 == "$2" ]] || { echo "  got '$1', expected '$2'" >&2; return 1; }; }

sets=(--set n=60 --set batch_size=60 --set n_test=30 --set d=16 --set h=24 --set repeat=2
  --set 'lr=[0.1, 1, 10]')
config=$repo/configs/bulk_lr.yml
submit() {  # submit LOG_DIR OUT_DIR [SIH]: prints submit-sweep.sh's output
  SIH=${3:-$sih} bash "$scripts/submit-sweep.sh" --cpus-per-task 1 --log-dir "$1" \
    bulk-lr "$config" 3 "${sets[@]}" --set "out_dir=$2"
}
field() { awk -v k="$1" '$0 ~ "^" k ": " { print $3 }' <<<"$2"; }

# --- 1. argument errors --------------------------------------------------------------------------
queued_before=$(squeue -h -o %i 2>/dev/null | wc -l)
bad_args() {  # bad_args EXPECTED_TEXT ARGS...: exit status 2, one line on stderr containing it
  local want=$1 err rc
  shift
  rc=0
  err=$(SIH=$sih "$@" 2>&1 >/dev/null) || rc=$?
  if ((rc != 2)) || [[ $(wc -l <<<"$err") != 1 || $err != *"$want"* ]]; then
    echo "  rc=$rc stderr: $err" >&2
    return 1
  fi
}
check "submit-sweep.sh: unknown COMMAND" bad_args "sweep, bulk-lr or bulk-losses" \
  bash "$scripts/submit-sweep.sh" bulk-foo "$config" 3
check "submit-sweep.sh: SHARDS not a positive integer" bad_args "SHARDS" \
  bash "$scripts/submit-sweep.sh" bulk-lr "$config" 0
check "submit-sweep.sh: missing CONFIG" bad_args "not a readable file" \
  bash "$scripts/submit-sweep.sh" bulk-lr "$tmp/no-such.yml" 3
check "submit-sweep.sh: too few arguments" bad_args "needs COMMAND CONFIG SHARDS" \
  bash "$scripts/submit-sweep.sh" bulk-lr "$config"
check "submit-sweep.sh: --shard refused" bad_args "--shard" \
  bash "$scripts/submit-sweep.sh" bulk-lr "$config" 3 --shard 1/2
check "submit-sweep.sh: no sbatch on PATH" bad_args "sbatch not found" \
  env PATH=/nonexistent /bin/bash "$scripts/submit-sweep.sh" bulk-lr "$config" 3
check "submit-sweep.sh: bad arguments submit nothing" \
  same "$(squeue -h -o %i 2>/dev/null | wc -l)" "$queued_before"

# --- 2. a sharded sweep on the cluster = the same sweep run locally -------------------------------
t1=$SECONDS
out=$(submit "$tmp/logs-a" "$tmp/a")
echo "$out"
array_a=$(field "array job" "$out") merge_a=$(field "merge job" "$out")
if [[ -z $array_a || -z $merge_a ]]; then
  fail "submit-sweep.sh prints the array and merge job ids"
else
  pass "submit-sweep.sh prints the array and merge job ids ($array_a, $merge_a)"
  check "merge job done within $timeout_s s" wait_gone "$merge_a"
  echo "  sweep on the cluster: $((SECONDS - t1)) s"
  check "array tasks completed" same "$(task_states "$array_a")" "1:COMPLETED 2:COMPLETED 3:COMPLETED"
  check "merge job completed" same "$(job_state "$merge_a")" COMPLETED
  dir_a=$(last_line "$tmp/logs-a/sweep-$array_a-merge.out")
  check "merge job's output names the sweep folder" test -n "$dir_a" -a -d "$dir_a"
  for k in 1 2 3; do
    check "task $k's output names the same folder" \
      same "$(last_line "$tmp/logs-a/sweep-$array_a-task-$k.out")" "$dir_a"
  done
  dir_b=$("$sih" bulk-lr "$config" "${sets[@]}" --set "out_dir=$tmp/b" --quiet | tail -n1)
  check "same sweep id as the local unsharded sweep" same "$(basename "$dir_a")" "$(basename "$dir_b")"
  check "aggregate.csv byte-identical to the local sweep's" \
    cmp "$dir_a/aggregate.csv" "$dir_b/aggregate.csv"
  check "runs.csv: header + 12 rows" same "$(wc -l <"$dir_a/runs.csv" 2>/dev/null)" 13
  check "runs.csv identical to the local sweep's but for wall_time_s" \
    cmp <(strip_wall "$dir_a/runs.csv") <(strip_wall "$dir_b/runs.csv")
fi

# --- 2b. a two-axis `sih sweep` (n changes the start, lr does not) on the cluster -----------------
t1=$SECONDS
gsets=(--set d=16 --set h=24 --set n_test=30 --set num_epochs=2 --set probe_freq_steps=1
  --set lightweight=true --set repeat=2 --set 'n=[60, 80]' --set 'lr=[0.1, 1]')
out=$(SIH=$sih bash "$scripts/submit-sweep.sh" --cpus-per-task 1 --log-dir "$tmp/logs-g" \
  sweep "$repo/configs/main.yml" 3 "${gsets[@]}" --set batch_size=60 --set "out_dir=$tmp/g" 2>&1 || true)
# main.yml's batch_size (2000) exceeds these n: batch_size=60 keeps every grid point valid (a
# refused config shows here as missing job ids).
array_g=$(field "array job" "$out") merge_g=$(field "merge job" "$out")
if [[ -z $array_g || -z $merge_g ]]; then
  fail "submit-sweep.sh sweep prints the array and merge job ids ($out)"
else
  check "sweep: merge job done within $timeout_s s" wait_gone "$merge_g"
  check "sweep: merge job completed" same "$(job_state "$merge_g")" COMPLETED
  dir_g=$(last_line "$tmp/logs-g/sweep-$array_g-merge.out")
  dir_h=$("$sih" sweep "$repo/configs/main.yml" "${gsets[@]}" --set batch_size=60 \
    --set "out_dir=$tmp/h" --quiet | tail -n1)
  check "sweep: same sweep id as the local one" same "$(basename "$dir_g")" "$(basename "$dir_h")"
  for f in aggregate.csv final.csv correlations.csv; do
    check "sweep: $f byte-identical to the local sweep's" cmp "$dir_g/$f" "$dir_h/$f"
  done
  check "sweep: runs.csv: header + 8 rows" same "$(wc -l <"$dir_g/runs.csv" 2>/dev/null)" 9
fi
echo "  two-axis sweep on the cluster: $((SECONDS - t1)) s"

# --- 3. a failing task cancels the merge job; re-submitting completes the sweep ----------------------
t1=$SECONDS
cat >"$tmp/failing-sih" <<EOF
#!/bin/bash
# sih, except that shard 2/3 fails.
for a in "\$@"; do
  if [[ \$a == 2/3 ]]; then echo "failing-sih: shard 2/3 fails on purpose" >&2; exit 1; fi
done
exec "$sih" "\$@"
EOF
chmod +x "$tmp/failing-sih"
out=$(submit "$tmp/logs-c" "$tmp/c" "$tmp/failing-sih")
array_c=$(field "array job" "$out") merge_c=$(field "merge job" "$out")
if [[ -z $array_c || -z $merge_c ]]; then
  fail "submit-sweep.sh (failing task) prints the job ids"
else
  check "failing task: merge job leaves the queue within $timeout_s s" wait_gone "$merge_c"
  check "failing task: array done within $timeout_s s" wait_gone "$array_c"
  check "failing task: task 2 failed, 1 and 3 completed" \
    same "$(task_states "$array_c")" "1:COMPLETED 2:FAILED 3:COMPLETED"
  check "failing task: merge job cancelled" same "$(job_state "$merge_c")" CANCELLED
  check "failing task: merge job never ran" test ! -s "$tmp/logs-c/sweep-$array_c-merge.out"
  dir_c=$(last_line "$tmp/logs-c/sweep-$array_c-task-1.out")
  check "failing task: the other shards' 8 runs are complete" \
    same "$(find "$dir_c/runs" -name summary.json 2>/dev/null | wc -l)" 8
  echo "  failing sweep: $((SECONDS - t1)) s"

  t1=$SECONDS
  out=$(submit "$tmp/logs-c" "$tmp/c")
  array_r=$(field "array job" "$out") merge_r=$(field "merge job" "$out")
  check "resubmitted: merge job done within $timeout_s s" wait_gone "$merge_r"
  check "resubmitted: merge job completed" same "$(job_state "$merge_r")" COMPLETED
  check "resubmitted: shard 1 skipped its 4 complete runs" \
    grep -q 'shard 1/3: 0 runs executed, 4 already complete' "$tmp/logs-c/sweep-$array_r-task-1.err"
  check "resubmitted: shard 2 executed its 4 runs" \
    grep -q 'shard 2/3: 4 runs executed, 0 already complete' "$tmp/logs-c/sweep-$array_r-task-2.err"
  check "resubmitted: aggregate.csv byte-identical to the local sweep's" \
    cmp "$(last_line "$tmp/logs-c/sweep-$array_r-merge.out")/aggregate.csv" "$dir_b/aggregate.csv"
  echo "  resubmitted sweep: $((SECONDS - t1)) s"
fi

# --- the cluster goes down without leaving processes behind -----------------------------------------
if ((started)); then
  pids=$(for f in "$state_dir"/{slurmctld,slurmd,munged}.pid; do if [[ -s $f ]]; then cat "$f"; fi; done | xargs)
  bash "$scripts/cluster-down.sh" 9>&-
  rm -f "$state_dir/started-by-test"
  down_done=1
  left=""  # live processes (zombies are dead: PID 1 reaps them)
  for p in $pids; do
    [[ $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) =~ ^[^Z]$ ]] && left+=" $p"
  done
  check "cluster-down.sh stops the daemons (PIDs $pids)" same "$left" ""
  check "cluster-down.sh leaves no slurmstepd" \
    same "$(ps -eo stat=,comm= | awk '$2 == "slurmstepd" && $1 !~ /^Z/' | wc -l)" 0
else
  echo "slurm: the cluster was already up before the test: left running"
fi

echo "slurm: total $((SECONDS - t0)) s"
echo "slurm: $passed passed, $failed failed"
((failed == 0))
