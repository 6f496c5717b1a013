#!/usr/bin/env bash
# Whole sweeps, before and after: builds a base revision (default: the last commit before the
# sweep engine) and the working tree, then times the same sweep commands with both binaries in
# interleaved rounds (the order alternating per round), each into a fresh output folder.
# Prints per command the median wall time of each binary and the median per-round ratio
# after / before. Usage: bench/sweep_before_after.sh [--rounds N] [--base REV] [--quick]
#   --quick: bulk_lr.yml with repeat=1 and bulk_losses_vary_n.yml with n=[500, 2000] only.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 base=906ce8f quick=0
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --base) base="$2"; shift ;;
    --quick) quick=1 ;;
    *) echo "sweep_before_after.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/base" "$base"
cmake -S "$tmp/base" -B "$tmp/base-build" -DCMAKE_BUILD_TYPE=Release -DSIH_BUILD_TESTS=OFF >/dev/null
cmake --build "$tmp/base-build" --target sih -j "$(nproc)" >/dev/null
SIH_BUILD_DIR=build-bench scripts/build.sh -DSIH_BUILD_TESTS=OFF >/dev/null
before="$tmp/base-build/sih" after=build-bench/sih
commands=("bulk-lr configs/bulk_lr.yml" "bulk-losses configs/bulk_losses_vary_n.yml")
((quick)) && commands=("bulk-lr configs/bulk_lr.yml --set repeat=1" \
                       "bulk-losses configs/bulk_losses_vary_n.yml --set n=[500,2000]")
wall() {  # binary, command words...: wall seconds of one run into a fresh folder
  local bin="$1"; shift
  /usr/bin/time -o "$tmp/t" -f "%e" "$bin" "$@" --quiet --set out_dir="$tmp/out$RANDOM$RANDOM" \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  tail -n 1 "$tmp/t"
}
echo "command,round,before_s,after_s,ratio"
for c in "${commands[@]}"; do
  read -r -a words <<< "$c"
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then b=$(wall "$before" "${words[@]}"); a=$(wall "$after" "${words[@]}")
    else a=$(wall "$after" "${words[@]}"); b=$(wall "$before" "${words[@]}"); fi
    echo "\"sih $c\",$r,$b,$a,$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", a / b}')"
  done
done | tee "$tmp/rows.csv"
echo
awk -F, '{ key = $1; b[key] = b[key] " " $3; a[key] = a[key] " " $4; q[key] = q[key] " " $5 }
  function median(s,   v, n, i, j, t) { n = split(s, v, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }; return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
  END { for (k in b) printf "%s: before %.2f s, after %.2f s, after/before x%.3f (median of per-round ratios)\n", k, median(b[k]), median(a[k]), median(q[k]) }' "$tmp/rows.csv"
