#!/usr/bin/env bash
# Fails when a source of the numerical core (CMakeLists.txt's SIH_NUMERIC_NAMES) includes,
# directly or through sih's headers, yaml-cpp, CLI11 or nlohmann-json.
# Usage: check_numeric_core.sh CXX SOURCE_DIR GENERATED_DIR NAME...
set -euo pipefail
cxx="$1" src="$2" gen="$3"
shift 3
bad=0
for name in "$@"; do
  deps=$("$cxx" -std=c++17 -M -I"$src/include" -I"$gen" -I/usr/include/eigen3 \
         "$src/src/$name.cpp" | tr ' \\' '\n\n' | grep -E '/(yaml-cpp|nlohmann|CLI)/' | head -3 || true)
  if [[ -n "$deps" ]]; then
    echo "src/$name.cpp (numerical core) includes: $(echo $deps)" >&2
    bad=1
  fi
done
((bad == 0)) && echo "numerical core: $# sources, no yaml-cpp, CLI11 or nlohmann-json"
exit $bad
