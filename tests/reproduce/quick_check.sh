#!/usr/bin/env bash
# `sih reproduce --quick` from the repository's configs/paper, as CI runs it: every experiment
# runs (exit 0: every claim holds, 4: some claim does not; anything else fails), the page and
# claims.csv are written, claims.csv agrees with the page's count and lists every claim of
# every config, one claim per experiment kind is recomputed here from the run folders'
# metrics.csv, and the page loads in headless chromium with every image (browser_lib.sh).
# Usage: tests/reproduce/quick_check.sh SIH_BINARY SOURCE_DIR. About 1-2 min.
set -euo pipefail
sih=${1:?usage: quick_check.sh SIH_BINARY SOURCE_DIR}
src=${2:?usage: quick_check.sh SIH_BINARY SOURCE_DIR}
tmp=$(mktemp -d /tmp/sih-reproduce-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "quick_check: FAIL: $*" >&2; exit 1; }

status=0
page=$("$sih" reproduce --quick --configs "$src/configs/paper" --out "$tmp/rq" 2> "$tmp/err") || status=$?
tail -n 30 "$tmp/err" >&2
[[ $status == 0 || $status == 4 ]] || fail "sih reproduce --quick exited $status"
[[ "$page" == "$tmp/rq/index.html" && -s "$page" ]] || fail "printed '$page'"
n_configs=$(ls "$src"/configs/paper/*.yml | wc -l)
grep -q "reproduce $n_configs/$n_configs" "$tmp/err" || fail "no progress line for experiment $n_configs/$n_configs"

python3 - "$src/configs/paper" "$tmp/rq" "$status" <<'PY'
import csv, glob, json, math, os, re, sys, yaml
configs, out, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.DictReader(open(os.path.join(out, "claims.csv"))))
def fail(msg):
    sys.exit("quick_check: FAIL: " + msg)
# Every claim of every config appears, with every point evaluated (a finite value; a threshold
# off the grid is n/a by design, never a made-up number).
names = []
for path in sorted(glob.glob(os.path.join(configs, "*.yml"))):
    doc = yaml.safe_load(open(path))
    name = re.sub(r"^\d+_", "", os.path.basename(path)[:-4])
    names.append(name)
    n_claims = len(doc["reproduce"]["claims"])
    got = sorted({int(r["claim"]) for r in rows if r["experiment"] == name})
    if got != list(range(n_claims)):
        fail(f"{name}: claims in claims.csv {got}, config has {n_claims}")
for r in rows:
    if "threshold(" in r["value"] and r["measured"] == "":
        continue
    if r["measured"] == "" or not math.isfinite(float(r["measured"])):
        fail(f"{r['experiment']} claim {r['claim']} at '{r['point']}': not measured")
held = {(r["experiment"], r["claim"]) for r in rows if r["claim_holds"] == "true"}
total = {(r["experiment"], r["claim"]) for r in rows}
page = open(os.path.join(out, "index.html")).read()
if f"{len(held)} of {len(total)} claims hold" not in page:
    fail(f"page does not say '{len(held)} of {len(total)} claims hold'")
if (status == 0) != (len(held) == len(total)):
    fail(f"exit status {status} but {len(held)} of {len(total)} claims hold")

# Every figure a config names is on the page, beside it.
for path in sorted(glob.glob(os.path.join(configs, "*.yml"))):
    doc = yaml.safe_load(open(path))
    for f in doc["reproduce"].get("figures", []):
        m = re.search(r'<img src="([^"]*/plots/' + re.escape(f) + ')"', page)
        if not m or os.path.getsize(os.path.join(out, m.group(1))) == 0:
            fail(f"{os.path.basename(path)}: figure {f} is not on the page")

def run_dirs(name):
    (d,) = [p for p in glob.glob(os.path.join(out, name, "*")) if os.path.isdir(p)]
    return d
def metrics(path):
    return {int(float(r["step"])): r for r in csv.DictReader(open(path))}
def claim_row(name, i, point=""):
    (r,) = [r for r in rows if r["experiment"] == name and r["claim"] == str(i) and r["point"] == point]
    return float(r["measured"])
# A run: main's claim 1 is alpha_hill@10 - alpha_hill@0.
m = metrics(os.path.join(run_dirs("main"), "metrics.csv"))
want = float(m[10]["alpha_hill"]) - float(m[0]["alpha_hill"])
got = claim_row("main", 1)
if abs(got - want) > 1e-12 * max(1, abs(want)):
    fail(f"main claim 1: claims.csv {got}, metrics.csv gives {want}")
# A sweep: gd_vs_adam_large_lr claim 0 is the mean over repeats of num_spikes@1 at adam lr 1.
sweep = run_dirs("gd_vs_adam_large_lr")
vals = []
for r in csv.DictReader(open(os.path.join(sweep, "runs.csv"))):
    if r["optimizer"] == "adam" and float(r["lr"]) == 1 and r["status"] == "ok":
        vals.append(float(metrics(os.path.join(sweep, "runs", r["run_id"], "metrics.csv"))[1]["num_spikes"]))
want = sum(vals) / len(vals)
got = claim_row("gd_vs_adam_large_lr", 0, "lr=1 optimizer=adam")
if len(vals) < 2 or abs(got - want) > 1e-12 * max(1, abs(want)):
    fail(f"gd_vs_adam_large_lr claim 0: claims.csv {got}, runs give {want} over {len(vals)} runs")
print(f"quick_check: claims.csv: {len(held)} of {len(total)} claims hold over {len(names)} experiments; "
      "two recomputed from metrics.csv", file=sys.stderr)
PY

source "$src/tests/report/browser_lib.sh"
check_page "$page" reproduce "<h1>From Spikes to Heavy Tails, re-run by sih</h1>" \
  '<h2 id="claims">Claims</h2>' '<h2 id="main">1. ' '<h2 id="long_adam">12. '
echo "quick_check: ok" >&2
