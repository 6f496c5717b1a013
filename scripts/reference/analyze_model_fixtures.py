#!/usr/bin/python3
"""Reference values for `sih analyze`'s model summary and `--compare` (issue 21).

Run once by a developer; CI only reads the outputs in tests/data/ww/ (README there):

- model_base.safetensors: a small torch model (a conv kernel and five dense layers of
  different spectra, float32), and model_base.summary.json: weightwatcher's
  `analyze(mp_fit=True)` details (alpha per layer) and `get_summary()` of it, plus the pandas
  medians of the same columns and weightwatcher's alpha < 2 / > 6 layers;
- model_tuned.safetensors: the same tensors with a planted rank-2 update (layers.1), a planted
  single large entry (layers.2), small full-rank noise (layers.4), the rest unchanged, and one
  extra tensor (head.weight); model_tuned.compare.json: numpy's distances of every pair
  (float64 SVD of W - W0, the tensor flattened to shape[0] x the rest) and weightwatcher's alpha
  and num_spikes of W, W0 and W - W0.

    WW_SRC=/tmp/ww PL_SRC=/tmp/pl /usr/bin/python3 scripts/reference/analyze_model_fixtures.py \
        --out tests/data/ww
"""
import argparse
import json
import os
import sys

import torch  # noqa: E402  (before weightwatcher: see ww_fixtures.py)
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ww_fixtures as wf  # noqa: E402  (the path set-up, the safetensors stub and writer)

ww = wf.ww
SUMMARY = ["log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm",
           "stable_rank", "mp_softrank"]
EPS32 = float(np.finfo(np.float32).eps)


def base_tensors():
    rng = np.random.default_rng(2112)
    t = {}
    t["layers.0.weight"] = rng.standard_normal((16, 8, 3, 3)) * 0.2
    t["layers.1.weight"] = rng.standard_normal((300, 200)) / np.sqrt(200)
    t["layers.2.weight"] = rng.standard_t(1.5, size=(300, 200)) * 0.05
    noise = rng.standard_normal((150, 300))
    u = np.linalg.qr(rng.standard_normal((150, 4)))[0]
    v = np.linalg.qr(rng.standard_normal((300, 4)))[0]
    t["layers.3.weight"] = noise + (u * np.array([60.0, 45.0, 35.0, 28.0])) @ v.T
    t["layers.4.weight"] = rng.standard_t(3, size=(200, 100)) * 0.05
    t["layers.5.weight"] = rng.standard_normal((120, 80)) * 0.1
    return {k: np.asarray(x, dtype=np.float32) for k, x in t.items()}


def tuned_tensors(base):
    rng = np.random.default_rng(2113)
    t = {k: v.copy() for k, v in base.items()}
    w = base["layers.1.weight"].astype(np.float64)
    u = np.linalg.qr(rng.standard_normal((300, 2)))[0]
    v = np.linalg.qr(rng.standard_normal((200, 2)))[0]
    s2 = np.linalg.norm(w, 2)
    t["layers.1.weight"] = np.asarray(w + (u * np.array([1.5 * s2, 0.8 * s2])) @ v.T, np.float32)
    t["layers.2.weight"][17, 42] += np.float32(8.0)
    t["layers.4.weight"] = np.asarray(
        base["layers.4.weight"] + 0.01 * rng.standard_normal((200, 100)), np.float32)
    t["head.weight"] = np.asarray(rng.standard_normal((10, 120)), np.float32)
    return t


def model_of(tensors, names=None):
    """A torch Sequential whose layer i holds layers.i.weight, or the tensor names[i]
    (weightwatcher never runs it)."""
    mods = []
    for k in names or [f"layers.{i}.weight" for i in range(6)]:
        w = torch.from_numpy(tensors[k].astype(np.float32))
        if w.dim() == 4:
            m = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], bias=False)
        else:
            m = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
        with torch.no_grad():
            m.weight.copy_(w)
        mods.append(m)
    return torch.nn.Sequential(*mods)


def details_of(model):
    watcher = ww.WeightWatcher(model=model)
    details = watcher.analyze(mp_fit=True, randomize=False, plot=False)
    return watcher, details


def finite(v):
    """JSON has no Inf or NaN: null (weightwatcher's log_alpha_norm of a failed fit is Inf)."""
    return v if not isinstance(v, float) or np.isfinite(v) else None


def by_name(details):
    """weightwatcher's rows keyed by our tensor names (its names are the module class names;
    its rows are the six layers in module order)."""
    assert len(details) == 6, details
    out = {}
    for i, (_, r) in enumerate(details.iterrows()):
        out[f"layers.{i}.weight"] = {c: finite(wf.jsonable(r[c])) for c in
                                     ["alpha", "num_spikes"] + SUMMARY}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    versions = {"weightwatcher": getattr(ww, "__version__", "?"), "numpy": np.__version__,
                "torch": torch.__version__}
    base = base_tensors()
    tuned = tuned_tensors(base)
    for name, tensors in [("model_base", base), ("model_tuned", tuned)]:
        wf.write_safetensors(os.path.join(a.out, name + ".safetensors"),
                             {k: ("F32", torch.from_numpy(v)) for k, v in tensors.items()})

    watcher, details = details_of(model_of(base))
    summary = {k: wf.jsonable(v) for k, v in watcher.get_summary().items()}
    medians = {k: wf.jsonable(details[k].median()) for k in SUMMARY}
    rows = by_name(details)
    alphas = {k: r["alpha"] for k, r in rows.items()}
    ref = {"versions": versions,
           "call": "WeightWatcher(model).analyze(mp_fit=True, randomize=False, plot=False); "
                   "get_summary(); details[col].median()",
           "get_summary": summary, "median": medians, "layers": rows,
           "over_trained": sorted(k for k, x in alphas.items() if 0 <= x < 2),
           "under_trained": sorted(k for k, x in alphas.items() if x > 6)}
    with open(os.path.join(a.out, "model_base.summary.json"), "w") as f:
        json.dump(ref, f, indent=1, allow_nan=False)
    print("get_summary:", summary)
    print("alphas:", alphas)

    _, tuned_details = details_of(model_of(tuned))
    tuned_rows = by_name(tuned_details)
    diffs = {k: tuned[k].astype(np.float64) - base[k].astype(np.float64) for k in base}
    nonzero = {k for k, d in diffs.items() if np.any(d != 0)}
    # weightwatcher on the differences (a model whose layers hold W - W0; unchanged layers
    # hold W0 there only to keep the module list whole and are not used)
    diff_model = model_of({k: (diffs[k] if k in nonzero else base[k]) for k in base})
    _, diff_details = details_of(diff_model)
    diff_rows = by_name(diff_details)
    pairs = {}
    for k in base:
        d = diffs[k].reshape(diffs[k].shape[0], -1)
        w0 = base[k].astype(np.float64)
        sv = np.linalg.svd(d, compute_uv=False)
        tol = float(sv[0]) * max(d.shape) * EPS32
        p = {"frobenius_base": float(np.linalg.norm(w0)),
             "frobenius_diff": float(np.linalg.norm(d)),
             "relative_frobenius": float(np.linalg.norm(d) / np.linalg.norm(w0)),
             "spectral_norm_diff": float(sv[0]),
             "diff_stable_rank": float(np.sum(sv ** 2) / sv[0] ** 2) if sv[0] > 0 else None,
             "diff_numerical_rank": int(np.linalg.matrix_rank(d, tol=tol)) if sv[0] > 0 else 0,
             "diff_rank_tolerance": tol,
             "ww_new": tuned_rows.get(k), "ww_base": rows.get(k),
             "ww_diff": diff_rows.get(k) if k in nonzero else None}
        pairs[k] = p
        print(k, {x: p[x] for x in ["relative_frobenius", "spectral_norm_diff",
                                    "diff_stable_rank", "diff_numerical_rank"]},
              "diff alpha", p["ww_diff"] and p["ww_diff"]["alpha"])
    with open(os.path.join(a.out, "model_tuned.compare.json"), "w") as f:
        json.dump({"versions": versions,
                   "call": "numpy.linalg.svd / norm / matrix_rank(tol=sigma_max * max(h, d) * "
                           "float32 eps) of W - W0 in float64, W - W0 flattened to shape[0] x "
                           "the rest; ww_*: weightwatcher details rows of the models holding "
                           "W, W0, W - W0",
                   "only_new": ["head.weight"], "pairs": pairs}, f, indent=1, allow_nan=False)


if __name__ == "__main__":
    main()
