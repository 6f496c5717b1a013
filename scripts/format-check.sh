#!/usr/bin/env bash
# Fails when a C++ file of src, include, cli, tests, bench or fuzz is not formatted as
# .clang-format asks, and names the files. Fix with `cmake --build build --target format`
# (clang-format -i on the same files). Takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format > /dev/null || { echo "format-check: clang-format not found (scripts/setup-deps.sh)" >&2; exit 1; }
mapfile -t files < <(git ls-files -- 'src/*.cpp' 'include/*.hpp' 'cli/*.cpp' 'tests/*.cpp' \
  'tests/*.hpp' 'bench/*.cpp' 'fuzz/*.cpp')
((${#files[@]} > 0)) || { echo "format-check: no C++ files found" >&2; exit 1; }
if ! clang-format --dry-run --Werror "${files[@]}" 2> "${TMPDIR:-/tmp}/sih-format-check.$$"; then
  grep -oE '^[^:]+\.(cpp|hpp):' "${TMPDIR:-/tmp}/sih-format-check.$$" | sort -u | sed 's/:$//; s/^/  /' >&2
  rm -f "${TMPDIR:-/tmp}/sih-format-check.$$"
  echo "format-check: the files above are not clang-formatted (cmake --build build --target format)" >&2
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/sih-format-check.$$"
echo "format-check: ${#files[@]} files formatted" >&2
