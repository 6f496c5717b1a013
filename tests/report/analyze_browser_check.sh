#!/usr/bin/env bash
# `sih report` on a `sih analyze --out-dir DIR --plot` folder in a real headless browser
# (Debian's chromium): a small model of .csv matrices named as in a transformer (Gaussian and
# Cauchy entries, so some alphas fall outside 2..6), and a small run's W at its last step
# compared with its start (--compare); each page loaded from file:// and checked as
# browser_lib.sh's check_page does: the headings in the DOM, no console message or uncaught
# error, every image loaded with a non-zero size.
# Usage: tests/report/analyze_browser_check.sh SIH_BINARY [SCREENSHOT.png]  (1200x1600)
# Exit 0 pass, 1 fail, 77 skip (no chromium). About 30 s.
set -euo pipefail
sih=${1:?usage: analyze_browser_check.sh SIH_BINARY [SCREENSHOT.png]}
shot=${2:-}
tmp=$(mktemp -d /tmp/sih-analyze-browser-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "analyze_browser_check: FAIL: $*" >&2; exit 1; }

source "$(dirname "$0")/browser_lib.sh"

# matrix FILE ROWS COLS SEED DIST: DIST gauss or cauchy (awk's rand, Box-Muller).
matrix() {
  awk -v n="$2" -v m="$3" -v seed="$4" -v dist="$5" 'BEGIN {
    srand(seed); pi = atan2(0, -1)
    for (i = 1; i <= n; i++) {
      line = ""
      for (j = 1; j <= m; j++) {
        u = rand(); v = rand(); if (u < 1e-12) u = 1e-12
        x = (dist == "cauchy") ? sin(pi * (v - 0.5)) / cos(pi * (v - 0.5)) \
                               : sqrt(-2 * log(u)) * cos(2 * pi * v)
        line = line (j > 1 ? "," : "") sprintf("%.6g", x)
      }
      print line
    }
  }' > "$1"
}
mkdir -p "$tmp/model"
seed=1
inputs=()
for spec in "model.embed_tokens.weight 80 40 gauss" \
            "model.layers.0.self_attn.q_proj.weight 48 48 gauss" \
            "model.layers.0.self_attn.k_proj.weight 48 48 cauchy" \
            "model.layers.0.mlp.up_proj.weight 96 48 gauss" \
            "model.layers.0.mlp.down_proj.weight 48 96 cauchy" \
            "lm_head.weight 64 40 gauss"; do
  read -r name n m dist <<< "$spec"
  matrix "$tmp/model/$name.csv" "$n" "$m" "$seed" "$dist"
  inputs+=("$tmp/model/$name.csv")
  seed=$((seed + 1))
done

# The model's page: figures drawn by sih analyze --plot (layer figures and outliers' ESDs).
out="$tmp/analysis"
"$sih" analyze "${inputs[@]}" --out-dir "$out" --plot -q || fail "sih analyze failed"
[[ -s "$out/plots/layers_alpha.png" ]] || fail "no layer figures in $out/plots"
page=$("$sih" report "$out")
[[ "$page" == "$out/report.html" && -s "$page" ]] || fail "sih report printed '$page'"
check_page "$page" analyze "<h1>sih analyze " "<h2>Summary</h2>" "<h2>Layer figures</h2>" \
  "<h2>Layers</h2>" "<h2>Outlier layers</h2>"

# A comparison's page, its figures drawn by sih report: a small run's W after 3 steps against
# its start.
cat > "$tmp/run.yml" <<YML
n: 120
d: 30
h: 50
n_test: 40
optimizer: adam
lr: 1
num_epochs: 3
probe_freq_steps: 1
lightweight: false
save_weights: true
precision: float64
threads: 2
out_dir: $tmp/out
YML
run_dir=$("$sih" run "$tmp/run.yml" --quiet)
cmp="$tmp/compare"
"$sih" analyze "$run_dir/weights/step3_W.npy" --compare "$run_dir/weights/step0_W.npy" \
  --out-dir "$cmp" -q || fail "sih analyze --compare failed"
[[ ! -e "$cmp/plots" ]] || fail "$cmp/plots drawn without --plot"
page2=$("$sih" report "$cmp")
check_page "$page2" compare "<h1>sih analyze " "<h2>Summary</h2>" "<h2>Layer figures</h2>" \
  "<h2>Layers</h2>" "<h2>Comparison</h2>"

if [[ -n "$shot" ]]; then
  chrome --hide-scrollbars --window-size=1200,1600 --screenshot="$shot" "file://$page" 2> /dev/null
  [[ -s "$shot" ]] || fail "no screenshot"
fi
echo "analyze_browser_check: ok" >&2
