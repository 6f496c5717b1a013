#!/usr/bin/env bash
# Stops the one-node test cluster of cluster-up.sh: cancels its jobs (so no job process outlives
# the cluster), then stops slurmd, slurmctld and, if cluster-up.sh started it, munged, each by
# its PID file, waiting (bounded) until it has exited. Safe to run when nothing is up.
# Keeps the daemon logs and slurm.conf (same environment variables as cluster-up.sh).
set -euo pipefail
# A step that may fail here (a daemon already gone, SLURM not answering) says so and the
# shutdown goes on: stopping the other daemons matters more than stopping at the first problem.

dir=${SIH_SLURM_DIR:-/tmp/sih-slurm}
export SLURM_CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
export PATH="$PATH:/usr/sbin:/sbin"

alive() {  # alive PIDFILE NAME: the PID file names a running process called NAME
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$2" ]]
}

running() {  # running PID NAME: a live (not zombie) process PID called NAME
  [[ -r /proc/$1/stat && $(<"/proc/$1/comm") == "$2" ]] 2>/dev/null &&
    [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

stop() {  # stop PIDFILE NAME: SIGTERM, wait up to 10 s for the process to end, then SIGKILL
  local pid
  if alive "$1" "$2"; then
    pid=$(<"$1")  # the daemons delete their PID file early in their shutdown: wait on the PID
    kill -TERM "$pid" 2> /dev/null || echo "cluster-down: $2 ($pid) exited before SIGTERM"
    for _ in $(seq 1 100); do
      running "$pid" "$2" || break
      sleep 0.1
    done
    if running "$pid" "$2"; then
      echo "cluster-down: $2 ($pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
      kill -KILL "$pid" 2> /dev/null || echo "cluster-down: $2 ($pid) exited before SIGKILL"
      sleep 0.2
    fi
    echo "cluster-down: stopped $2 ($pid)"
  fi
  rm -f "$1"
}

# Cancel every job and wait (up to 20 s) until the queue is empty, so that slurmd has ended
# the jobs' processes (slurmstepd and the job scripts) before it stops.
if alive "$dir/slurmctld.pid" slurmctld && alive "$dir/slurmd.pid" slurmd; then
  jobs=$(timeout 5 squeue -h -o %i 2> /dev/null) || {
    echo "cluster-down: warning: squeue failed; not cancelling jobs" >&2
    jobs=""
  }
  if [[ -n $jobs ]]; then
    echo "cluster-down: cancelling $(wc -l <<<"$jobs") job(s)"
    # shellcheck disable=SC2086
    timeout 10 scancel $jobs 2> /dev/null || echo "cluster-down: warning: scancel failed" >&2
    for _ in $(seq 1 100); do
      [[ -z $(timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
fi

stepds() { ps -eo pid=,stat=,comm= | awk '$3 == "slurmstepd" && $2 !~ /^Z/ { print $1 }' | xargs; }
# Finished jobs' slurmstepd processes exit shortly after the job leaves the queue: wait for them.
if alive "$dir/slurmd.pid" slurmd; then
  for _ in $(seq 1 50); do
    [[ -z $(stepds) ]] && break
    sleep 0.2
  done
fi
stop "$dir/slurmd.pid" slurmd
stop "$dir/slurmctld.pid" slurmctld
stop "$dir/munged.pid" munged

steps=$(stepds)
[[ -z $steps ]] || echo "cluster-down: warning: slurmstepd still running (PIDs $steps)" >&2
exit 0
