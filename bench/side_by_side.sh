#!/usr/bin/env bash
# The authors' PyTorch code and sih on the same commands, interleaved: each round runs the
# authors' command (bench/authors_ref.sh --only ...) and then sih's at once, so that both see
# the same state of the machine (these VMs have slow spells of 10-40%), and the ratio is
# taken per round; the summary is the median ratio over rounds.
#
# Usage: [SIH_BIN=build/sih] bench/side_by_side.sh [--rounds N] [--quick] [--mirror DIR]
#   --rounds N  rounds for main.yml lightweight (default 5); main.yml full gets
#               max(1, N - 2), bulk_lr repeat=1 max(1, N - 3)
#   --quick     3 / 1 rounds and no bulk_lr
# stdout: CSV command,round,authors_wall_s,authors_peak_rss_mb,sih_wall_s,sih_peak_rss_mb,speedup
# stderr: progress and one summary line per command (median speedup).
# Exit 3 when the authors' mirror is missing (as authors_ref.sh), 1 on a failed command.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 quick=0 mirror_args=()
while (($#)); do
  case "$1" in
    --rounds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "side_by_side: --rounds needs a positive integer" >&2; exit 2; }
              rounds="$2"; shift ;;
    --quick) quick=1 rounds=3 ;;
    --mirror) [[ $# -ge 2 ]] || { echo "side_by_side: --mirror needs a DIR" >&2; exit 2; }
              mirror_args=(--mirror "$2"); shift ;;
    *) echo "side_by_side: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
sih="${SIH_BIN:-build/sih}"
[[ -x "$sih" ]] || { echo "side_by_side: $sih missing; run scripts/build.sh (or set SIH_BIN)" >&2; exit 2; }
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
tmp=$(mktemp -d -t sih-side-by-side.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# one_round NAME LABEL ROUND SIH_ARGS...
one_round() {
  local name="$1" label="$2" round="$3"; shift 3
  local rc=0
  bench/authors_ref.sh "${mirror_args[@]}" --only "$name" > "$tmp/a.csv" 2> "$tmp/a.err" || rc=$?
  if ((rc != 0)); then
    cat "$tmp/a.err" >&2
    exit "$rc"
  fi
  local a
  a=$(tail -n 1 "$tmp/a.csv")  # label,wall_s,peak_rss_mb
  /usr/bin/time -o "$tmp/s.time" -f "%e %M" "$sih" "$@" --set out_dir="$tmp/sih$round" --quiet \
    > /dev/null 2> "$tmp/s.err" || { echo "side_by_side: sih $* failed:" >&2; tail -5 "$tmp/s.err" >&2; exit 1; }
  rm -rf "$tmp/sih$round"
  local s
  s=$(tail -n 1 "$tmp/s.time")
  awk -v l="$label" -v r="$round" -v a="$a" -v s="$s" 'BEGIN {
    split(a, A, ","); split(s, S, " ");
    printf "%s,%d,%.2f,%.1f,%.3f,%.1f,%.2f\n", l, r, A[2], A[3], S[1], S[2] / 1024, A[2] / S[1] }'
}

summary() {
  awk -F, -v l="$1" '$1 == l { r[++n] = $7 } END {
    if (!n) exit; asorted = 0
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
    m = (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
    printf "side_by_side: %-22s median speedup x%.1f over %d rounds (min x%.1f, max x%.1f)\n", l, m, n, r[1], r[n] }' "$tmp/all.csv" >&2
}

echo "command,round,authors_wall_s,authors_peak_rss_mb,sih_wall_s,sih_peak_rss_mb,speedup" | tee "$tmp/all.csv"
full_rounds=$((rounds > 3 ? rounds - 2 : 1))
bulk_rounds=$((rounds > 4 ? rounds - 3 : 1))
((quick)) && full_rounds=1
for ((r = 1; r <= rounds; r++)); do
  echo "side_by_side: main.yml lightweight, round $r/$rounds" >&2
  one_round main_lightweight "main.yml lightweight" "$r" run configs/main.yml --set lightweight=true | tee -a "$tmp/all.csv"
done
summary "main.yml lightweight"
for ((r = 1; r <= full_rounds; r++)); do
  echo "side_by_side: main.yml full, round $r/$full_rounds" >&2
  one_round main_full "main.yml full" "$r" run configs/main.yml | tee -a "$tmp/all.csv"
done
summary "main.yml full"
if ((!quick)); then
  for ((r = 1; r <= bulk_rounds; r++)); do
    echo "side_by_side: bulk_lr repeat=1, round $r/$bulk_rounds" >&2
    one_round bulk_lr "bulk_lr repeat=1" "$r" bulk-lr configs/bulk_lr.yml --set repeat=1 | tee -a "$tmp/all.csv"
  done
  summary "bulk_lr repeat=1"
fi
