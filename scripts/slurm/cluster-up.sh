#!/usr/bin/env bash
# Brings up a one-node SLURM test cluster on this machine: munged, slurmctld and slurmd, one
# partition `debug` (the default) holding this host with CPUs = nproc, node idle. Needs root; no
# systemd needed. Installs slurm-wlm and munge with apt-get when missing (Debian 12: ~15 s).
# Idempotent: a cluster already started by this script and healthy is left as it is; a half-up
# one is stopped and started again from a clean state (no old jobs). Undo: cluster-down.sh.
#
# Environment:
#   SIH_SLURM_DIR  state, spool, daemon logs and PID files (default /tmp/sih-slurm)
#   SLURM_CONF     the slurm.conf written and used (default /etc/slurm/slurm.conf); an existing
#                  file is only overwritten when this script wrote it
# Written for Debian 12 (slurm-wlm 22.05, munge 0.5.15), as root, without systemd.
set -euo pipefail

die() { echo "cluster-up: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root (it starts munged, slurmctld and slurmd)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${SIH_SLURM_DIR:-/tmp/sih-slurm}
conf=${SLURM_CONF:-/etc/slurm/slurm.conf}
export SLURM_CONF=$conf
marker="# Written by sih scripts/slurm/cluster-up.sh (one-node test cluster)."
export PATH="$PATH:/usr/sbin:/sbin"

# 1. Packages.
missing=0
for b in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/sbin/munged /usr/bin/munge; do
  [[ -x $b ]] || missing=1
done
if ((missing)); then
  echo "cluster-up: installing slurm-wlm munge with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge; } >&2; then
    echo "cluster-up: apt-get install slurm-wlm munge failed" >&2
    exit 3
  fi
fi

if [[ -e $conf ]] && ! grep -qxF "$marker" "$conf"; then
  die "$conf exists and was not written by this script; set SLURM_CONF=/another/path/slurm.conf"
fi

alive() {  # alive PIDFILE NAME: the PID file names a running process called NAME
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$2" ]]
}
node_state() { timeout 5 sinfo -h -o %t 2>/dev/null | head -n1 || true; }

# 2. Already up?
if alive "$dir/slurmctld.pid" slurmctld && alive "$dir/slurmd.pid" slurmd &&
  timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' &&
  [[ $(node_state) =~ ^(idle|mix|alloc)$ ]]; then
  echo "cluster-up: already up ($conf, node $(node_state))"
  exit 0
fi
# Half up (or never up): stop whatever this script started before, then start clean.
bash "$here/cluster-down.sh" >/dev/null 2>&1 || true

# 3. munged (as the munge user; reuse one that already works, e.g. started by the package).
mkdir -p /run/munge "$dir"
chown munge:munge /run/munge
rm -f "$dir/munged.pid"
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey -c -f
    chown munge:munge /etc/munge/munge.key
  fi
  # --force: start even when a killed munged left its socket behind.
  runuser -u munge -- /usr/sbin/munged --force ||
    die "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 1 50); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 || die "munge does not work after starting munged"
  cp /run/munge/munged.pid "$dir/munged.pid"  # so cluster-down.sh stops only a munged we started
fi

# 4. slurm.conf.
rm -rf "$dir/state" "$dir/spool"  # a clean start: no jobs or credentials from an earlier cluster
mkdir -p "$dir/state" "$dir/spool" "$(dirname "$conf")"
host=$(hostname -s)
mem=$(($(free -m | awk '/^Mem:/{print $2}') - 500))
((mem > 0)) || mem=1
cat >"$conf.tmp" <<CONF
$marker
# Start/stop: scripts/slurm/cluster-up.sh, scripts/slurm/cluster-down.sh. Accounting is off (no sacct).
ClusterName=sihtest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Without this each scheduling pass waits ~3 s.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
NodeName=${host} NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mv "$conf.tmp" "$conf"

# 5. Daemons; wait (bounded) for the node to be idle.
fail() {
  echo "cluster-up: $*; last daemon log lines:" >&2
  tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 2>/dev/null || true
  bash "$here/cluster-down.sh" >/dev/null 2>&1 || true
  exit 1
}
/usr/sbin/slurmctld -f "$conf" || fail "slurmctld did not start"
/usr/sbin/slurmd -f "$conf" || fail "slurmd did not start"
state=
for _ in $(seq 1 100); do
  state=$(node_state)
  [[ $state == idle ]] && break
  sleep 0.3
done
[[ $state == idle ]] || fail "node not idle after 30 s (state: ${state:-none})"
[[ $conf == /etc/slurm/slurm.conf ]] || echo "cluster-up: clients need: export SLURM_CONF=$conf"
echo "cluster-up: up ($conf, node $host idle, $(nproc) CPUs, partition debug)"
