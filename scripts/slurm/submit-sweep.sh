#!/usr/bin/env bash
# Runs a sih sweep on a SLURM cluster: a job array of SHARDS tasks, task K running
#   sih COMMAND CONFIG --shard K/SHARDS [sih options...]
# and a merge job (`sih merge <sweep folder>`) that starts once every task has succeeded and is
# cancelled by SLURM if one fails (--dependency=afterok + --kill-on-invalid-dep=yes).
#
# Usage: submit-sweep.sh [submit options] COMMAND CONFIG SHARDS [sih options...]
#   COMMAND          sweep | bulk-lr | bulk-losses
#   CONFIG           the sweep's YAML config (a snapshot is taken now: editing it later is safe)
#   SHARDS           number of array tasks (1 ..., at most the cluster's MaxArraySize - 1)
#   sih options      passed to every task: --set KEY=VALUE, --jobs J, --force, --quiet (not --shard)
# Submit options (anywhere before a `--`; after `--` everything goes to sih):
#   --partition P      SLURM partition (default: the cluster's default)
#   --time T           time limit of each task and of the merge job (e.g. 2:00:00)
#   --cpus-per-task C  CPUs of each task; sih uses C threads (default 2)
#   --log-dir D        SLURM output files (default ./slurm-logs)
# Environment: SIH = the sih binary (default: <repo>/build/sih); it and the log and output
# folders must be on a file system that every node sees. Other sbatch settings: sbatch's own
# SBATCH_* variables (e.g. SBATCH_ACCOUNT, SBATCH_QOS).
# Prints the array job id, the merge job id and where the logs go; see scripts/slurm/README.md.
set -euo pipefail

usage="usage: submit-sweep.sh [--partition P] [--time T] [--cpus-per-task C] [--log-dir D] sweep|bulk-lr|bulk-losses CONFIG SHARDS [sih options...]"
die() { echo "submit-sweep: $*" >&2; exit 2; }

partition='' time_limit='' cpus=2 log_dir=./slurm-logs
positional=() sih_args=()
set_option() {  # set_option NAME VALUE
  case $1 in
    --partition) partition=$2 ;;
    --time) time_limit=$2 ;;
    --cpus-per-task) cpus=$2 ;;
    --log-dir) log_dir=$2 ;;
  esac
  [[ -n $2 ]] || die "$1: empty value"
}
while (($#)); do
  a=$1
  shift
  case $a in
    --partition | --time | --cpus-per-task | --log-dir)
      (($#)) || die "$a needs a value ($usage)"
      set_option "$a" "$1"
      shift
      ;;
    --partition=* | --time=* | --cpus-per-task=* | --log-dir=*) set_option "${a%%=*}" "${a#*=}" ;;
    --)
      sih_args+=("$@")
      break
      ;;
    --shard | --shard=*) die "--shard is set per task by this script; give SHARDS instead" ;;
    --set | --jobs)  # sih options with a value: keep the pair together
      (($#)) || die "$a needs a value"
      sih_args+=("$a" "$1")
      shift
      ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    *)
      if ((${#positional[@]} < 3)) && [[ $a != -* ]]; then positional+=("$a"); else sih_args+=("$a"); fi
      ;;
  esac
done
((${#positional[@]} == 3)) || die "needs COMMAND CONFIG SHARDS ($usage)"
command=${positional[0]} config=${positional[1]} shards=${positional[2]}
[[ $command == sweep || $command == bulk-lr || $command == bulk-losses ]] ||
  die "COMMAND: '$command': must be sweep, bulk-lr or bulk-losses"
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "SHARDS: '$shards': must be a positive integer"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task: '$cpus': must be a positive integer"
command -v sbatch >/dev/null 2>&1 || die "sbatch not found: SLURM is not installed here (or not on PATH)"
[[ -f $config && -r $config ]] || die "CONFIG: $config: not a readable file"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sih=${SIH:-$(cd "$here/../.." && pwd)/build/sih}
[[ -x $sih && ! -d $sih ]] || die "sih binary not found: $sih (build it, or set SIH=/path/to/sih)"
sih=$(realpath "$sih")
mkdir -p "$log_dir" || die "--log-dir: $log_dir: cannot create"
log_dir=$(realpath "$log_dir")

# Snapshot of the config: the tasks may start much later, and must all read the same file.
snapshot=$(mktemp "$log_dir/config-XXXXXXXX.yml")
cp "$config" "$snapshot"

common=(--parsable --chdir "$PWD")
[[ -z $partition ]] || common+=(--partition "$partition")
[[ -z $time_limit ]] || common+=(--time "$time_limit")

out=$(sbatch "${common[@]}" --job-name "sih-$command" --array "1-$shards" --cpus-per-task "$cpus" \
  --output "$log_dir/sweep-%A-task-%a.out" --error "$log_dir/sweep-%A-task-%a.err" \
  "$here/sweep-task.sbatch" task "$sih" "$command" "$snapshot" "$shards" "${sih_args[@]}") ||
  { rm -f "$snapshot"; echo "submit-sweep: sbatch refused the array job (see above)" >&2; exit 1; }
array_id=${out%%;*}

out=$(sbatch "${common[@]}" --job-name "sih-merge" --cpus-per-task 1 \
  --dependency "afterok:$array_id" --kill-on-invalid-dep=yes \
  --output "$log_dir/sweep-$array_id-merge.out" --error "$log_dir/sweep-$array_id-merge.err" \
  "$here/sweep-task.sbatch" merge "$sih" "$log_dir" "$array_id" "$shards") || {
  scancel "$array_id" 2>/dev/null || true
  echo "submit-sweep: sbatch refused the merge job (see above); cancelled array job $array_id" >&2
  exit 1
}
merge_id=${out%%;*}

echo "array job: $array_id ($shards tasks: $(basename "$sih") $command --shard K/$shards)"
echo "merge job: $merge_id (after every task succeeds; cancelled if one fails)"
echo "config: $snapshot (a copy of $config)"
echo "logs: $log_dir/sweep-$array_id-task-K.{out,err}, $log_dir/sweep-$array_id-merge.{out,err}"
echo "sweep folder: the last line of $log_dir/sweep-$array_id-merge.out once the merge job is done"
