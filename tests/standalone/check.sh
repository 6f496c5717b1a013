#!/usr/bin/env bash
# The repository stands alone: a clone in a folder of its own, with nothing beside it, has all
# it needs to build and test.
#  1. No tracked file names a path outside the repository (the team's shared folder, the
#     machine's mirrors, a sibling folder beside the clone) or a document that is not in it.
#  2. The reference fixtures the tests read are tracked: a fresh `git clone` of HEAD into an
#     empty temporary folder, and the fixture-reading tests run against the clone's copy
#     (SIH_REFERENCE_DIR, tests/test_util.hpp) from inside it.
# Building the clone from scratch would cost minutes on CI's 2 cores; the test binaries are
# the ones just built, and only their fixture path moves into the clone.
# Usage: tests/standalone/check.sh <build dir>
set -euo pipefail
build=$(cd "${1:?usage: check.sh <build dir>}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v git > /dev/null || fail "git not found"
git -C "$repo" rev-parse --git-dir > /dev/null 2>&1 || fail "$repo is not a git checkout"

# 1. Paths outside the repository. This file names the patterns, so it is left out.
# The folder names are assembled here so that this file does not name them itself.
sib=shared
pattern="/work/|\\.\\./${sib}|${sib}/reference|${sib}/SPEC|SPEC(\\.md| §| [0-9])|PERF-NOTES|/\\.mirror/"
if hits=$(git -C "$repo" grep -nIE "$pattern" -- . ':!tests/standalone/check.sh'); then
  echo "$hits" >&2
  fail "tracked files refer to paths or documents outside the repository (above)"
fi
echo "no tracked file refers to a path outside the repository"

# 2. A clone with nothing beside it.
tmp=$(mktemp -d /tmp/sih-standalone-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git clone --quiet "$repo" "$tmp/sih"
[[ -z $(ls -A "$tmp" | grep -vx sih) ]] || fail "the temporary folder is not empty"
fixtures="$tmp/sih/tests/data/reference"
[[ -f $fixtures/README.md ]] || fail "the clone has no tests/data/reference/README.md"
cd "$tmp/sih"
export SIH_REFERENCE_DIR=$fixtures
for t in test_spectral test_metrics test_trajectory test_data test_array_io; do
  "$build/$t" --gtest_brief=1 > "$tmp/$t.log" 2>&1 || { cat "$tmp/$t.log" >&2; fail "$t failed in the clone"; }
  tail -n 1 "$tmp/$t.log"
done
echo "the clone's fixtures are complete: the fixture tests pass from $tmp/sih"
