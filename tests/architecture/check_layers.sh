#!/usr/bin/env bash
# The layering, checked from the sources: every file of a layer (src/<layer>/, include/sih/<layer>/)
# includes sih headers only from its own layer and the layers it may use, and the numeric layers
# include no yaml-cpp, nlohmann-json or CLI11 header. The allowed arrows come from CMakeLists.txt
# (each layer's target_link_libraries), passed as LAYER=DEP,DEP,... arguments, so the build's
# link lines and this check cannot disagree. Direct includes suffice: every file is checked, so
# a chain of includes is made of allowed arrows only.
# Usage: check_layers.sh SOURCE_DIR NUMERIC_LAYERS LAYER=DEPS...   (NUMERIC_LAYERS: a,b,c)
set -euo pipefail
src="$1" numeric=",$2,"
shift 2
declare -A allowed
for spec in "$@"; do allowed[${spec%%=*}]=",${spec%%=*},${spec#*=},"; done
bad=0
for layer in "${!allowed[@]}"; do
  for f in "$src"/src/"$layer"/*.[ch]pp "$src"/include/sih/"$layer"/*.hpp; do
    [[ -e "$f" ]] || continue
    while IFS= read -r line; do
      used=$(sed -E 's#.*"sih/([a-z_]+)/.*#\1#' <<< "$line")
      if [[ "${allowed[$layer]}" != *",$used,"* ]]; then
        echo "${f#"$src"/}: layer $layer may not include from layer $used: $line" >&2
        bad=1
      fi
    done < <(grep -E '^#include "sih/' "$f" || true)
    if grep -qE '^#include "sih/[a-z_]+\.hpp"' "$f"; then
      echo "${f#"$src"/}: includes a sih header outside the layer folders" >&2
      bad=1
    fi
    if [[ "$numeric" == *",$layer,"* ]] && grep -qE '^#include <(yaml-cpp|nlohmann|CLI)/' "$f"; then
      echo "${f#"$src"/}: numeric layer $layer includes $(grep -oE '<(yaml-cpp|nlohmann|CLI)/[^>]*>' "$f" | head -1)" >&2
      bad=1
    fi
  done
done
for f in "$src"/src/*.cpp "$src"/include/sih/*.hpp; do
  [[ -e "$f" ]] && { echo "${f#"$src"/}: outside every layer folder" >&2; bad=1; }
done
((bad == 0)) && echo "layers: ${#allowed[@]} layers, every include points down"
exit $bad
