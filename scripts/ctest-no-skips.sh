#!/usr/bin/env bash
# Runs ctest in the current directory (a build folder) with the given arguments, then fails if
# any test was skipped, unless tests/skip-allowlist.txt allows that skip here. ctest's own
# status comes first: failed tests fail the run as always.
# Usage: (cd BUILD && ../scripts/ctest-no-skips.sh [ctest arguments])
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
allow="$here/../tests/skip-allowlist.txt"
junit=$(mktemp /tmp/sih-ctest-junit-XXXXXX.xml)
trap 'rm -f "$junit"' EXIT
ctest --output-junit "$junit" "$@"

# ctest's JUnit marks a skipped test as <testcase name="..." ... status="notrun"> + <skipped/>.
mapfile -t skipped < <(grep -oE '<testcase name="[^"]*"[^>]*status="(notrun|disabled)"' "$junit" |
  sed -E 's/^<testcase name="([^"]*)".*/\1/' | sed 's/&quot;/"/g; s/&amp;/\&/g')
((${#skipped[@]} == 0)) && { echo "ctest-no-skips: no test skipped" >&2; exit 0; }
root=0
[[ $(id -u) -eq 0 ]] && root=1
bad=()
for t in "${skipped[@]}"; do
  when=$(awk -v t="$t" '$1 == t { print $2; exit }' "$allow")
  if [[ $when == non-root && $root -eq 0 ]]; then
    echo "ctest-no-skips: $t skipped (allowed when not root: tests/skip-allowlist.txt)" >&2
  else
    bad+=("$t")
  fi
done
if ((${#bad[@]} > 0)); then
  printf 'ctest-no-skips: skipped, and not allowed here by tests/skip-allowlist.txt: %s\n' "${bad[@]}" >&2
  exit 1
fi
