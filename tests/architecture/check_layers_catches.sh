#!/usr/bin/env bash
# check_layers.sh fails on each kind of violation: an include that points up, a numeric layer
# that includes nlohmann-json, a file outside the layer folders. Each is injected into a copy of
# the sources; the unmodified copy must pass.
# Usage: check_layers_catches.sh SOURCE_DIR NUMERIC_LAYERS LAYER=DEPS...
set -euo pipefail
src="$1"
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fresh() { rm -rf "$tmp/s"; mkdir -p "$tmp/s"; cp -r "$src/src" "$src/include" "$tmp/s/"; }
fresh
bash "$src/tests/architecture/check_layers.sh" "$tmp/s" "$@" > /dev/null
status=0
check() {
  local what="$1" pattern="$2"
  shift 2
  if bash "$src/tests/architecture/check_layers.sh" "$tmp/s" "$@" 2> "$tmp/err" > /dev/null; then
    echo "check_layers.sh passed with $what" >&2
    status=1
  elif ! grep -q "$pattern" "$tmp/err"; then
    echo "check_layers.sh failed on $what without saying so: $(cat "$tmp/err")" >&2
    status=1
  fi
}
sed -i '1i #include "sih/config/config_fields.hpp"' "$tmp/s/src/core/model.cpp"
check "an upward include (core -> config)" "layer core may not include from layer config" "$@"
fresh
sed -i '1i #include <nlohmann/json.hpp>' "$tmp/s/src/spectra/spectral.cpp"
check "nlohmann-json in a numeric layer" "numeric layer spectra includes" "$@"
fresh
cp "$tmp/s/src/core/rng.cpp" "$tmp/s/src/stray.cpp"
check "a file outside the layers" "outside every layer folder" "$@"
((status == 0)) && echo "check_layers.sh: catches an upward include, JSON in the numeric core, a stray file"
exit $status
