#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/CMakeLists.txt, clang, ASan + UBSan) into build-fuzz/ and
# runs each for SECONDS (default 60), seeded from fuzz/corpus/<target>/ (plus configs/*.yml for
# the config loader). Exits non-zero on any crash, sanitizer report, leak, timeout (> 10 s for
# one input) or out-of-memory (> 2 GB); the input that caused it is saved under
# build-fuzz/artifacts/. New interesting inputs accumulate in build-fuzz/corpus-<target>/
# across runs (not in the source tree). Prints the executions reached per target.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: config array_reader claims tensor_file run_folder)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
(($# == 0)) || shift
targets=("$@")
((${#targets[@]})) || targets=(config array_reader claims tensor_file run_folder)
build_dir="${SIH_FUZZ_BUILD_DIR:-build-fuzz}"

command -v clang++ > /dev/null || { echo "fuzz: clang++ not found (scripts/setup-deps.sh --with-extras)" >&2; exit 1; }
# A build type of its own: only the fuzz flags (-O1 -g, sanitizers), assertions on.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_FLAGS_FUZZ="" \
  -DSIH_FUZZ=ON -DSIH_BUILD_TESTS=OFF > /dev/null
if ! cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" 2>&1 |
  { grep -vE '^\[ *[0-9]+%\] (Building|Linking)|Built target|Scanning dependencies' >&2 || (($? == 1)); }; then
  echo "fuzz: the build failed (see the errors above)" >&2
  exit 1
fi

mkdir -p "$build_dir/artifacts"
status=0
for t in "${targets[@]}"; do
  bin="$build_dir/fuzz/fuzz_$t"
  work="$build_dir/corpus-$t"
  mkdir -p "$work"
  seeds=()
  case $t in
    config) seeds=(fuzz/corpus/config configs) ;;
    array_reader) seeds=(fuzz/corpus/array) ;;
    claims) seeds=(fuzz/corpus/claims) ;;
    tensor_file) seeds=(fuzz/corpus/tensor_file) ;;
    run_folder) seeds=(fuzz/corpus/run_folder) ;;
    *) echo "fuzz: unknown target $t" >&2; exit 2 ;;
  esac
  log="$build_dir/fuzz_$t.log"
  set +e
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$t-" "$work" "${seeds[@]}" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 || true)
  if ((rc == 0)); then
    echo "fuzz_$t: OK, $execs executions in ${seconds} s ($rate/s), $cov, corpus $(ls "$work" | wc -l) inputs"
  else
    status=1
    echo "fuzz_$t: FAILED (exit $rc) after $execs executions; log $log, artifacts:" >&2
    ls "$build_dir/artifacts" | grep "^$t-" >&2 || true
    grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|terminate' "$log" | head -n 20 >&2 || true
  fi
done
exit $status
