#!/usr/bin/env bash
# `sih report` in a real headless browser (Debian's chromium): a small real run, its page
# loaded from file://, and checked for (1) the expected headings in the DOM, (2) no console
# message or uncaught error of the page, (3) every image loaded with a non-zero natural size.
# (3) uses a test copy of the page with a few lines of script appended (the page itself has
# none); a copy with one broken image must fail the same check, so the check can fail.
# Usage: tests/report/browser_check.sh SIH_BINARY [SCREENSHOT.png]
# Exit 0 pass, 1 fail, 77 skip (no chromium). About 20 s.
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
run_dir=$("$sih" run "$tmp/run.yml" --quiet)
page=$("$sih" report "$run_dir")
[[ "$page" == "$run_dir/report.html" && -s "$page" ]] || fail "sih report printed '$page'"

# One headless chromium call; the remaining arguments are chromium's.
chrome() {
  local profile
  profile=$(mktemp -d "$tmp/profile-XXXXXX")
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

# (1) + (2): the page itself.
chrome --virtual-time-budget=5000 --dump-dom "file://$page" > "$tmp/dom.html" 2> "$tmp/stderr.txt" \
  || { cat "$tmp/stderr.txt" >&2; fail "chromium failed on the page"; }
for h in "<h2>Config</h2>" "<h2>Metrics</h2>" "<h2>Spikes, bulk and tails</h2>" "<h2>Figures</h2>"; do
  grep -qF "$h" "$tmp/dom.html" || fail "the DOM has no $h"
done
grep -q "<h1>sih run " "$tmp/dom.html" || fail "the DOM has no <h1>sih run ...</h1>"
# Only the page's own console messages count (chromium logs them as 'INFO:CONSOLE:<line>] "..."'),
# and uncaught errors; chromium's own noise (dbus, GPU, fontconfig, ...) does not.
if grep -E ':CONSOLE[:(]|Uncaught' "$tmp/stderr.txt" > "$tmp/console.txt"; then
  cat "$tmp/console.txt" >&2
  fail "console messages on the page"
fi

# (3): every image complete with a non-zero natural width, in a test copy beside the page.
probe='<script>window.addEventListener("load",function(){var i=document.images,ok=i.length>0;for(var k=0;k<i.length;k++)ok=ok&&i[k].complete&&i[k].naturalWidth>0&&i[k].naturalHeight>0;document.title=(ok?"IMAGES-OK ":"IMAGES-BAD ")+i.length;});</script>'
check_images() {  # PAGE STDERR_FILE -> prints the title
  chrome --virtual-time-budget=5000 --dump-dom "file://$1" 2> "$2" |
    grep -oE '<title>IMAGES-(OK|BAD) [0-9]+' | sed 's/<title>//' || true
}
test_page="$run_dir/report.browser-test.html"
{ grep -vxE '</body>|</html>' "$page"; printf '%s\n</body>\n</html>\n' "$probe"; } > "$test_page"
n_img=$(grep -o '<img src=' "$page" | wc -l)
title=$(check_images "$test_page" "$tmp/stderr-images.txt")
[[ "$title" == "IMAGES-OK $n_img" ]] || fail "images: got '$title', expected 'IMAGES-OK $n_img'"
! grep -E ':CONSOLE[:(]|Uncaught' "$tmp/stderr-images.txt" || fail "console messages on the test copy"
# The control: one image missing and a console error must both be noticed.
control="$run_dir/report.browser-control.html"
sed '0,/<img src="plots\//s//<img src="plots\/missing-/; s#</body>#<script>console.error("control")</script></body>#' \
  "$test_page" > "$control"
title=$(check_images "$control" "$tmp/stderr-control.txt")
[[ "$title" == "IMAGES-BAD $n_img" ]] || fail "control with a missing image: got '$title'"
grep -qE ':CONSOLE[:(].*"control"' "$tmp/stderr-control.txt" || fail "control: console.error not seen"

if [[ -n "$shot" ]]; then
  chrome --hide-scrollbars --window-size=1200,1600 --screenshot="$shot" "file://$page" 2> /dev/null
  [[ -s "$shot" ]] || fail "no screenshot"
fi
echo "browser_check: ok ($n_img images loaded, headings present, no console messages)" >&2
