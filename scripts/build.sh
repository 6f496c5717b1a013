#!/usr/bin/env bash
# Configures and builds sih (Release, host CPU) into build/ after installing any missing
# Debian packages. Extra arguments go to cmake's configure step (e.g. -DSIH_NATIVE=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
build_dir="${SIH_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\] (Building|Linking)|Built target|Scanning dependencies|Consolidate compiler' >&2 || true
test -x "$build_dir/sih"
