#!/usr/bin/env bash
# Configures and builds sih (Release, host CPU) into build/ (or $SIH_BUILD_DIR) after installing
# any missing Debian packages. Extra arguments go to cmake's configure step (e.g.
# -DSIH_NATIVE=OFF). SIH_BUILD_TARGETS="t1 t2" builds only those targets. Exits non-zero when
# configuring or building fails: cmake's progress lines are filtered out, but its status is
# the script's (pipefail), and its warnings and errors are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
build_dir="${SIH_BUILD_DIR:-build}"
targets=()
if [[ -n "${SIH_BUILD_TARGETS:-}" ]]; then read -r -a targets <<< "$SIH_BUILD_TARGETS"; fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" > /dev/null
# grep exits 1 when it filtered out every line: not a failure (2 would be).
quiet_progress() {
  grep -vE '^\[ *[0-9]+%\] (Building|Linking)|Built target|Scanning dependencies|Consolidate compiler' >&2 ||
    (($? == 1))
}
if ! cmake --build "$build_dir" -j "$(nproc)" ${targets[@]+--target "${targets[@]}"} 2>&1 | quiet_progress; then
  echo "build.sh: the build failed (see the errors above)" >&2
  exit 1
fi
if ((${#targets[@]} == 0)); then test -x "$build_dir/sih"; fi
