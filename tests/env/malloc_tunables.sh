#!/usr/bin/env bash
# sih sets glibc's malloc tunables itself (src/base/library_environment.cpp):
#  1. after its re-exec, GLIBC_TUNABLES holds sih's value (huge pages, freed memory kept, the
#     heap grown 64 MB at a time) when the variable was unset, and the user's value when set,
#     even empty;
#  2. a bare `sih run` writes a metrics.csv byte-identical to the one with glibc's defaults
#     (`GLIBC_TUNABLES=` set empty);
#  3. the setting takes effect: a headline-size run holds anonymous huge pages (checked when the
#     kernel's transparent huge pages are not `never`, and not under sanitizers, whose allocator
#     replaces glibc's).
# Usage: tests/env/malloc_tunables.sh <path to sih>
set -euo pipefail
SIH=${1:?usage: malloc_tunables.sh <sih binary>}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/sih-malloc-tunables-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/reexec_environ.sh"

# glibc parses the variable in the process's original environment block, which is what
# /proc/<pid>/environ shows, cutting it at its first ':' (the process and its children get an
# intact copy: `env` in a child prints the whole list), so only the first tunable shows here.
got=$(environ_of GLIBC_TUNABLES)
[[ $got == glibc.malloc.hugetlb=1* ]] ||
  fail "unset GLIBC_TUNABLES: sih runs with '$got', expected glibc.malloc.hugetlb=1 first"
got=$(environ_of GLIBC_TUNABLES GLIBC_TUNABLES=glibc.malloc.check=0)
[[ $got == glibc.malloc.check=0 ]] || fail "user's GLIBC_TUNABLES=glibc.malloc.check=0: sih runs with '$got'"
got=$(environ_of GLIBC_TUNABLES GLIBC_TUNABLES=)
[[ -z $got ]] || fail "user's empty GLIBC_TUNABLES: sih runs with '$got'"
echo "GLIBC_TUNABLES after the re-exec: sih's when unset, the user's when set (even empty)"

a=$(run_in "$tmp/tuned")
b=$(run_in "$tmp/defaults" GLIBC_TUNABLES=)
cmp "$a/metrics.csv" "$b/metrics.csv" || fail "sih's malloc tunables change the results: $a/metrics.csv $b/metrics.csv"
echo "sih's malloc tunables and glibc's defaults: metrics.csv byte-identical ($(wc -l < "$a/metrics.csv") lines)"

thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2> /dev/null || echo "[never]")
if [[ ${SIH_SANITIZED:-0} == 1 || $thp == *"[never]"* ]]; then
  echo "info: huge pages not checked (sanitized build, or transparent huge pages '$thp')"
  exit 0
fi
# A headline-size run (~150 MB), read while it trains: its anonymous memory in huge pages.
printf 'n: 2000\nh: 1500\nd: 1000\nn_test: 200\nnum_epochs: 1000000\nprobe_freq_steps: 1000000\nlightweight: true\n' > "$tmp/big.yml"
"${reexec_bare[@]}" "$SIH" run "$tmp/big.yml" --quiet --set out_dir="$tmp/big" > /dev/null 2>&1 &
pid=$!
huge=0
for ((k = 0; k < 200; k++)); do
  huge=$(awk '/^AnonHugePages:/ {print $2}' "/proc/$pid/smaps_rollup" 2> /dev/null || echo 0)
  [[ ${huge:-0} -gt 0 ]] && break
  sleep 0.05
done
kill -TERM "$pid" 2> /dev/null || true
wait "$pid" || true  # stopped by SIGTERM (143), as expected
[[ ${huge:-0} -gt 0 ]] || fail "a headline-size run holds no anonymous huge pages within 10 s (THP '$thp')"
echo "a headline-size run holds ${huge} kB of anonymous huge pages"
