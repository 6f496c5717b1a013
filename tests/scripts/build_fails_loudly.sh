#!/usr/bin/env bash
# scripts/build.sh reports a failed build: in a temporary copy of the sources with a syntax
# error injected into src/core/optim.cpp, and a stale build/sih left from an earlier build, it must
# exit non-zero and show the compiler's error. A failing configure step must fail it too.
# Only the one broken object is built (SIH_BUILD_TARGETS), so this costs seconds, not a build.
# Usage: tests/scripts/build_fails_loudly.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/sih-broken-build-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
cp -r "$repo/CMakeLists.txt" "$repo/include" "$repo/src" "$repo/cli" "$repo/scripts" "$tmp/src/"
sed -i '1i this is not C++;' "$tmp/src/src/core/optim.cpp"
mkdir -p "$tmp/src/build"
printf '#!/bin/sh\necho stale\n' > "$tmp/src/build/sih"
chmod +x "$tmp/src/build/sih"

rc=0
SIH_BUILD_TARGETS=src/core/optim.cpp.o "$tmp/src/scripts/build.sh" -DSIH_BUILD_TESTS=OFF \
  > "$tmp/out.log" 2> "$tmp/err.log" || rc=$?
((rc != 0)) || { cat "$tmp/err.log" >&2; fail "build.sh exited 0 on a syntax error"; }
grep -q 'optim.cpp:1:.*error' "$tmp/err.log" || { cat "$tmp/err.log" >&2; fail "the compiler's error is not shown"; }
grep -q 'build.sh: the build failed' "$tmp/err.log" || fail "no 'build failed' line"
echo "syntax error: build.sh exited $rc and showed: $(grep -m1 'optim.cpp:1:' "$tmp/err.log")"

rc=0
SIH_BUILD_DIR="$tmp/build2" "$tmp/src/scripts/build.sh" -DCMAKE_CXX_COMPILER=/nonexistent/c++ \
  > /dev/null 2> "$tmp/err2.log" || rc=$?
((rc != 0)) || fail "build.sh exited 0 when cmake could not configure"
echo "configure failure: build.sh exited $rc"
