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
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || { echo "browser_check: chromium not found (scripts/setup-deps.sh): skipped" >&2; exit 77; }

tmp=$(mktemp -d /tmp/sih-browser-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home"
mkdir -p "$HOME"
fail() { echo "browser_check: FAIL: $*" >&2; exit 1; }

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

# One headless chromium call; the remaining arguments are chromium's.
chrome() {
  local profile
  profile=$(mktemp -d "$tmp/profile-XXXXXX")
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}
# Only the page's own console messages count (chromium logs them as 'INFO:CONSOLE:<line>] "..."'),
# and uncaught errors; chromium's own noise (dbus, GPU, fontconfig, ...) does not.
console_re=':CONSOLE[:(]|Uncaught'
# (3)'s probe: the title says whether every image is complete with a non-zero natural size.
probe='<script>window.addEventListener("load",function(){var i=document.images,ok=i.length>0;for(var k=0;k<i.length;k++)ok=ok&&i[k].complete&&i[k].naturalWidth>0&&i[k].naturalHeight>0;document.title=(ok?"IMAGES-OK ":"IMAGES-BAD ")+i.length;});</script>'

# check_page PAGE TAG HEADING...: (1), (2) and (3) for one page; TAG names its temp files.
check_page() {
  local page=$1 tag=$2
  shift 2
  chrome --virtual-time-budget=5000 --dump-dom "file://$page" > "$tmp/$tag.dom" 2> "$tmp/$tag.err" \
    || { cat "$tmp/$tag.err" >&2; fail "$tag: chromium failed on the page"; }
  local h
  for h in "$@"; do grep -qF "$h" "$tmp/$tag.dom" || fail "$tag: the DOM has no $h"; done
  if grep -E "$console_re" "$tmp/$tag.err" >&2; then fail "$tag: console messages on the page"; fi
  # The test copy sits beside the page, so plots/ resolves the same.
  local copy=${page%.html}.browser-test.html n_img title
  { grep -vxE '</body>|</html>' "$page"; printf '%s\n</body>\n</html>\n' "$probe"; } > "$copy"
  n_img=$(grep -o '<img src=' "$page" | wc -l)
  title=$(chrome --virtual-time-budget=5000 --dump-dom "file://$copy" 2> "$tmp/$tag.copy.err" |
    grep -oE '<title>IMAGES-(OK|BAD) [0-9]+' | sed 's/<title>//' || true)
  [[ "$title" == "IMAGES-OK $n_img" ]] || fail "$tag: images: got '$title', expected 'IMAGES-OK $n_img'"
  if grep -E "$console_re" "$tmp/$tag.copy.err" >&2; then fail "$tag: console messages on the test copy"; fi
  rm -f "$copy"
  echo "browser_check: $tag ok ($n_img images loaded, headings present, no console messages)" >&2
}

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
