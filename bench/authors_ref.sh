#!/usr/bin/env bash
# Runs the paper authors' original PyTorch code (github.com/kvignesh1420/single-index-ht) as an
# external comparator and reports wall time and peak RSS per command. Their code is only RUN
# from a throw-away export of a local git mirror; nothing of it is copied into this repo.
#
# Usage: bench/authors_ref.sh [--mirror DIR] [--quick] [--only NAME]
#   --mirror DIR  a git clone (or bare mirror) of their repo (default: $SIH_AUTHORS_REPO)
#   --quick       skip the bulk_lr.py run (c)
#   --only NAME   run one command only: main_lightweight (a), main_full (b) or bulk_lr (c)
#   --tiny        (hidden; functional check only) shrink every config to n=200, d=100, h=150,
#                 num_epochs=1, probe_freq_steps=1; labels get a " [tiny]" suffix
#
# Commands, each from its own fresh `git archive HEAD` export (so no data/model cache or output
# is shared between them), with /usr/bin/python3 (Debian's torch) and MPLBACKEND=Agg:
#   a. main.py <main.yml + lightweight: true>   "authors main.yml lightweight"
#      (their Trainer/Tracker skip the per-probe W histograms/SVD/ESD plots and the
#       initial-vs-final plots when the config has `lightweight: true`; main.yml has no such key)
#   b. main.py configs/main.yml as shipped        "authors main.yml full"
#   c. bulk_lr.py <bulk_lr.yml + repeat: 1>       "authors bulk_lr repeat=1"  (skipped by --quick)
# Both scripts take the config file as their single positional argument (src/utils.py).
#
# stdout: CSV `command,wall_s,peak_rss_mb` (from /usr/bin/time -f "%e %M"); stderr: progress.
# Exit: 0 ok; 1 a command failed (its stderr tail is printed); 2 usage; 3 mirror dir missing
# (callers may skip); 4 Python deps missing (run scripts/setup-deps.sh --with-extras).
#
# Needs: python3-torch python3-yaml python3-numpy python3-matplotlib python3-tqdm. Their
# src/tracker.py imports `weightwatcher` (not in Debian), used only with `enable_ww: true`;
# a stub module that raises if actually used is put on PYTHONPATH.
# OPENBLAS_CORETYPE is kept from the environment (default Haswell, as in scripts/bench.sh).
set -euo pipefail

mirror=${SIH_AUTHORS_REPO:-}
quick=0
tiny=0
only=""
while (($#)); do
  case "$1" in
    --mirror) [[ $# -ge 2 ]] || { echo "authors_ref: --mirror needs a DIR" >&2; exit 2; }
              mirror="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --only) [[ $# -ge 2 ]] || { echo "authors_ref: --only needs main_lightweight, main_full or bulk_lr" >&2; exit 2; }
            only="$2"; shift 2
            case "$only" in main_lightweight|main_full|bulk_lr) ;;
              *) echo "authors_ref: --only: '$only': must be one of main_lightweight, main_full, bulk_lr" >&2; exit 2 ;;
            esac ;;
    --tiny) tiny=1; shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) echo "authors_ref: unknown argument '$1' (usage: bench/authors_ref.sh [--mirror DIR] [--quick])" >&2
       exit 2 ;;
  esac
done

if [[ -z $mirror || ! -d $mirror ]]; then
  echo "authors_ref: no clone of their repository (--mirror DIR or SIH_AUTHORS_REPO: '$mirror'); skipping the authors' reference" >&2
  exit 3
fi

PY=/usr/bin/python3
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
export MPLBACKEND=Agg

# Import check (also builds matplotlib's font cache outside the timed runs).
if ! "$PY" -c 'import torch, numpy, yaml, tqdm, matplotlib.pyplot' 2>/dev/null; then
  echo "authors_ref: $PY lacks torch/numpy/yaml/tqdm/matplotlib; run scripts/setup-deps.sh --with-extras" >&2
  exit 4
fi

tmp=$(mktemp -d -t sih-authors-ref.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# weightwatcher stub: importable, fails loudly only when used (enable_ww: true).
mkdir -p "$tmp/stubs/weightwatcher"
cat >"$tmp/stubs/weightwatcher/__init__.py" <<'EOF'
"""Stub written by sih bench/authors_ref.sh: weightwatcher is not installed (not in Debian)."""
_MSG = ("weightwatcher is a stub here (bench/authors_ref.sh); "
        "configs with enable_ww: true are not supported")


class WeightWatcher:
    def __init__(self, *args, **kwargs):
        raise RuntimeError(_MSG)


def __getattr__(name):
    raise RuntimeError(_MSG + " (accessed weightwatcher." + name + ")")
EOF
export PYTHONPATH="$tmp/stubs${PYTHONPATH:+:$PYTHONPATH}"

rev=$(git -C "$mirror" rev-parse --short HEAD 2>/dev/null) || {
  echo "authors_ref: $mirror is not a readable git repository" >&2; exit 1; }
echo "authors_ref: authors' HEAD $rev, OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE, work dir $tmp" >&2

# export_tree NAME -> fresh work tree of the mirror's HEAD at $tmp/NAME
export_tree() {
  mkdir "$tmp/$1"
  git -C "$mirror" archive HEAD | tar -x -C "$tmp/$1"
}

# derive_config SRC DST KEY=YAMLVALUE... : copy of SRC with keys set (plus the --tiny sizes)
derive_config() {
  local src="$1" dst="$2"; shift 2
  local overrides=("$@")
  if ((tiny)); then
    overrides+=(n=200 batch_size=200 n_test=200 batch_size_test=200 d=100 h=150
                num_epochs=1 probe_freq_steps=1)
  fi
  "$PY" - "$src" "$dst" "${overrides[@]}" <<'EOF'
import sys, yaml
src, dst, *kvs = sys.argv[1:]
with open(src) as f:
    cfg = yaml.safe_load(f)
for kv in kvs:
    k, v = kv.split("=", 1)
    cfg[k] = yaml.safe_load(v)
with open(dst, "w") as f:
    yaml.safe_dump(cfg, f, sort_keys=False)
EOF
}

# run_one LABEL DIRNAME SCRIPT SRC_CONFIG [KEY=VALUE...]
run_one() {
  local label="$1" name="$2" script="$3" src="$4"; shift 4
  local wd="$tmp/$name"
  if ((tiny)); then label="$label [tiny]"; fi
  export_tree "$name"
  local cfg="$src"
  if (($# > 0)) || ((tiny)); then
    cfg="configs/sih_${name}.yml"
    derive_config "$wd/$src" "$wd/$cfg" "$@"
  fi
  echo "authors_ref: running '$label': $PY $script $cfg" >&2
  local rc=0
  (cd "$wd" && /usr/bin/time -f "%e %M" -o "$tmp/$name.time" \
      "$PY" "$script" "$cfg" >"$tmp/$name.out" 2>"$tmp/$name.err") || rc=$?
  if ((rc != 0)); then
    echo "authors_ref: '$label' failed (exit $rc); stderr tail:" >&2
    tail -n 25 "$tmp/$name.err" >&2
    exit 1
  fi
  local nfiles
  nfiles=$(find "$wd/out" -type f -name '*.jpg' | wc -l)
  echo "authors_ref: '$label' done, $nfiles plot files under out/" >&2
  # /usr/bin/time: last line "wall_s peak_kb" (earlier lines may hold signal notes)
  tail -n 1 "$tmp/$name.time" | awk -v l="$label" '{ printf "%s,%.2f,%.1f\n", l, $1, $2 / 1024 }'
}

wanted() { [[ -z "$only" || "$only" == "$1" ]]; }
echo "command,wall_s,peak_rss_mb"
if wanted main_lightweight; then
  run_one "authors main.yml lightweight" main_lightweight main.py configs/main.yml lightweight=true
fi
if wanted main_full; then
  run_one "authors main.yml full" main_full main.py configs/main.yml
fi
if wanted bulk_lr && { ((!quick)) || [[ -n "$only" ]]; }; then
  run_one "authors bulk_lr repeat=1" bulk_lr bulk_lr.py configs/bulk_lr.yml repeat=1
fi
