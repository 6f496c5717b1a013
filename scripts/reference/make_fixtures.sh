#!/usr/bin/env bash
# Regenerates the reference fixtures with the authors' own code (tests/data/reference/README.md).
# Usage: scripts/reference/make_fixtures.sh AUTHORS_CHECKOUT [OUT_DIR]
#   AUTHORS_CHECKOUT  a checkout of github.com/kvignesh1420/single-index-ht (fixtures: 901ee63)
#   OUT_DIR           default tests/data/reference (the committed set is overwritten; git diff
#                     shows what moved). Another folder is compared with the committed set.
# Needs Debian's python3-torch, python3-numpy, python3-matplotlib (scripts/setup-deps.sh
# --with-extras). Takes about a minute.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
checkout=${1:?usage: make_fixtures.sh AUTHORS_CHECKOUT [OUT_DIR]}
out=${2:-$repo/tests/data/reference}
export MPLBACKEND=Agg
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"  # as the scripts run sih
args=("$checkout" "$out")
if [[ $(cd "$out" 2> /dev/null && pwd) != "$repo/tests/data/reference" ]]; then
  args+=(--compare "$repo/tests/data/reference")
fi
# Debian's interpreter, where python3-torch is installed (a pyenv or venv python3 may not have it).
/usr/bin/python3 "$repo/scripts/reference/make_fixtures.py" "${args[@]}"
