# Shared by the headless-browser checks (browser_check.sh, tests/reproduce/quick_check.sh):
# find chromium (exit 77 = skip when there is none), and check_page PAGE TAG HEADING...:
# (1) the headings are in the DOM, (2) no console message or uncaught error of the page,
# (3) every image loaded with a non-zero natural size, via a test copy of the page with a few
# lines of script appended (the page itself has none). Needs $tmp (a scratch folder) and
# fail() from the caller; sets HOME to a folder inside $tmp.
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || { echo "browser_check: chromium not found (scripts/setup-deps.sh): skipped" >&2; exit 77; }
export HOME="$tmp/home"
mkdir -p "$HOME"

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

