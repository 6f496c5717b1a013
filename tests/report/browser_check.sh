#!/usr/bin/env bash
# `sih report` in a real headless browser (Debian's chromium): the pages of a small real run
# and of a small real two-axis sweep, loaded from file://, each checked for (1) the expected
# headings in the DOM, (2) no console message or uncaught error of the page, (3) every image
# loaded with a non-zero natural size. (3) uses a test copy of the page with a few lines of
# script appended (the page itself has none); a control copy with one image missing and a
# console.error must fail (1)-(3)'s checks, so they can fail.
# Usage: tests/report/browser_check.sh SIH_BINARY [SCREENSHOT.png]  (the run's page, 1200x1600)
# Exit 0 pass, 1 fail, 77 skip (no chromium). About 25 s.
set -euo pipefail
sih=${1:?usage: browser_check.sh SIH_BINARY [SCREENSHOT.png]}
shot=${2:-}
tmp=$(mktemp -d /tmp/sih-browser-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "browser_check: FAIL: $*" >&2; exit 1; }

source "$(dirname "$0")/browser_lib.sh"

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
precision: float64
threads: 2
out_dir: $tmp/out
YML
cat > "$tmp/sweep.yml" <<YML
n: 60
d: 12
h: 20
n_test: 30
optimizer: adam
lr: [0.1, 1]
num_epochs: [2, 3]
probe_freq_steps: 1
lightweight: true
precision: float64
threads: 2
out_dir: $tmp/out
YML

run_dir=$("$sih" run "$tmp/run.yml" --quiet)
page=$("$sih" report "$run_dir")
[[ "$page" == "$run_dir/report.html" && -s "$page" ]] || fail "sih report printed '$page'"
check_page "$page" run "<h1>sih run " "<h2>Config</h2>" "<h2>Metrics</h2>" \
  "<h2>Spikes, bulk and tails</h2>" "<h2>Figures</h2>"

sweep_dir=$("$sih" sweep "$tmp/sweep.yml" --quiet)
page=$("$sih" report "$sweep_dir")
check_page "$page" sweep "<h1>sih sweep " "<h2>Axes</h2>" "<h2>Config</h2>" "<h2>Correlations</h2>" \
  "<h2>Runs</h2>" "<h2>Phase diagrams</h2>" "<h2>Figures</h2>"

# The control: one image missing and a console.error must both be noticed.
control="$run_dir/report.browser-control.html"
{ grep -vxE '</body>|</html>' "$run_dir/report.html"
  printf '<script>console.error("control")</script>%s\n</body>\n</html>\n' "$probe"; } |
  sed '0,/<img src="plots\//s//<img src="plots\/missing-/' > "$control"
title=$(chrome --virtual-time-budget=5000 --dump-dom "file://$control" 2> "$tmp/control.err" |
  grep -oE '<title>IMAGES-(OK|BAD)' | sed 's/<title>//' || true)
[[ "$title" == "IMAGES-BAD" ]] || fail "control with a missing image: got '$title'"
grep -qE "$console_re" "$tmp/control.err" || fail "control: console.error not seen"

if [[ -n "$shot" ]]; then
  chrome --hide-scrollbars --window-size=1200,1600 --screenshot="$shot" "file://$run_dir/report.html" 2> /dev/null
  [[ -s "$shot" ]] || fail "no screenshot"
fi
echo "browser_check: ok" >&2
