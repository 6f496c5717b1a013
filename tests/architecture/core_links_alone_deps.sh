#!/usr/bin/env bash
# core_links_alone's link line holds no library of the config, CLI or JSON side: its dynamic
# dependencies have no yaml-cpp (nlohmann-json and CLI11 are header-only; check_layers.sh keeps
# their headers out of the numeric layers) and its symbols no sih code above the train layer.
set -euo pipefail
bin="$1"
if ldd "$bin" | grep -i yaml; then
  echo "core_links_alone links yaml-cpp" >&2
  exit 1
fi
if nm -C "$bin" | grep -E ' [TW] sih::(load_config|config_fields|RunWriter|run_cli|execute_sweep)' | head -3 | grep .; then
  echo "core_links_alone holds symbols of the layers above train" >&2
  exit 1
fi
echo "core_links_alone: no yaml-cpp, no config/rundir/command symbols"
