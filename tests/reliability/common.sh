# Shared by the reliability scripts (sourced; they run under set -euo pipefail): a sweep config that takes a few seconds, polling helpers
# and checks of the "complete or absent" contract of run folders (docs/OUTPUT.md).
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"

fail() { echo "FAIL: $*" >&2; exit 1; }

# 12 runs of ~0.5 s each. Neither threads nor --jobs is pinned: a resumed sweep with fewer
# runs left gives each run more threads, and the aggregate must still be byte-identical
# (product_fixed_depth, model.hpp).
# Under sanitizers (scripts/test-sanitize.sh sets SIH_SANITIZED=1) sih runs ~50x slower: the
# sizes shrink so that a run still takes about as long.
if [[ ${SIH_SANITIZED:-0} == 1 ]]; then
  sizes=$'n: 200\nd: 50\nh: 100'
  run_sizes=$'n: 200\nd: 60\nh: 120'
else
  sizes=$'n: 600\nd: 150\nh: 300'
  run_sizes=$'n: 800\nd: 200\nh: 400'
fi

write_sweep_config() {
  echo "$sizes" > "$1"
  cat >> "$1" <<'YML'
n_test: 100
num_epochs: 100
probe_freq_steps: 25
lightweight: true
optimizer: [sgd, adam]
lr: [0.01, 0.1, 1]
repeat: 2
precision: float64
YML
}

# One run of ~3 s.
write_run_config() {
  echo "$run_sizes" > "$1"
  cat >> "$1" <<'YML'
n_test: 100
num_epochs: 400
probe_freq_steps: 100
lightweight: true
optimizer: adam
lr: 0.01
precision: float64
threads: 1
YML
}

# Writes the sweep config to $1/sweep.yml and runs it uninterrupted into $1/ref; prints the
# sweep folder (the reference an interrupted and resumed sweep must reproduce).
reference_sweep() {
  write_sweep_config "$1/sweep.yml"
  "$SIH" bulk-lr "$1/sweep.yml" --quiet --set out_dir="$1/ref" > "$1/ref.out" ||
    fail "uninterrupted sweep failed"
  tail -n 1 "$1/ref.out"
}

# Number of complete run folders (summary.json) under a sweep output root.
complete_runs() {
  if [[ -d $1 ]]; then find "$1" -path '*/runs/*/summary.json' | wc -l; else echo 0; fi
}

# Waits until `cmd` prints a number >= want (timeout in seconds).
wait_for() {
  local want=$1 timeout=$2
  shift 2
  local end=$((SECONDS + timeout))
  while ((SECONDS < end)); do
    (( $("$@") >= want )) && return 0
    sleep 0.05
  done
  return 1
}

# The contract after an interruption: every run folder under its final name is complete,
# no staging folder and no temp file is left.
check_no_partial_output() {
  local root=$1
  local staging tmpfiles incomplete=0
  staging=$(find "$root" -name '.*.partial-*' 2>/dev/null)
  [[ -z "$staging" ]] || fail "staging folders left behind: $staging"
  tmpfiles=$(find "$root" -name '*.tmp.*' 2>/dev/null)
  [[ -z "$tmpfiles" ]] || fail "temp files left behind: $tmpfiles"
  while IFS= read -r d; do
    [[ -f "$d/summary.json" && -f "$d/metrics.csv" && -f "$d/config.json" ]] || incomplete=1
    [[ $incomplete == 0 ]] || fail "incomplete run folder: $d"
  done < <(find "$root" -mindepth 3 -maxdepth 3 -path '*/runs/*' -type d ! -name '.*')
}
