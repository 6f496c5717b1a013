#!/usr/bin/python3
"""Reference values for sih's ESD diagnostics (issue 12), from the real packages.

Run once by a developer; CI only reads the outputs in tests/data/ww/. For every matrix it
writes <name>.npy (the matrix, float32 values stored as float32; see below) and
<name>.expected.json (weightwatcher's details row, the eigenvalues weightwatcher computed,
and powerlaw's distribution comparisons). See tests/data/ww/README.md for versions and the
exact calls.

    WW_SRC=/tmp/ww12 PL_SRC=/tmp/pl12 /usr/bin/python3 scripts/reference/ww_fixtures.py \
        --trained /tmp/w12out/<run>/weights/step5_W.npy --out tests/data/ww

WW_SRC / PL_SRC: folders holding the weightwatcher 0.7.5.5 and powerlaw source trees
(weightwatcher/ and powerlaw/ packages), checked out from their git repositories.
"""
import argparse
import json
import os
import sys
import types

# torch before weightwatcher: powerlaw imports dill, which otherwise breaks torch's pickler.
import torch  # noqa: E402
import numpy as np  # noqa: E402

for var in ("WW_SRC", "PL_SRC"):
    if os.environ.get(var):
        sys.path.insert(0, os.environ[var])

# weightwatcher imports the safetensors package at module level but analyze() of an in-memory
# torch model never uses it; Debian has no python3-safetensors, so a stub stands in.
try:
    import safetensors  # noqa: F401
except ImportError:
    stub = types.ModuleType("safetensors")
    stub.safe_open = None
    sys.modules["safetensors"] = stub

import powerlaw  # noqa: E402
import weightwatcher as ww  # noqa: E402
from weightwatcher import WW_powerlaw  # noqa: E402
from weightwatcher.weightwatcher import WeightWatcher  # noqa: E402

COMPARED = ["exponential", "lognormal", "truncated_power_law"]


def f32(a):
    """weightwatcher reads torch weights with .float() (float32) before its float64 SVD, so
    every fixture matrix holds float32 values: then sih and weightwatcher see the same W."""
    return np.asarray(a, dtype=np.float32)


def matrices(trained_path):
    rng = np.random.default_rng(20251201)
    out = {}
    out["gaussian_300x200"] = f32(rng.standard_normal((300, 200)) / np.sqrt(200))
    # Q = 1: weightwatcher fits the quarter-circle law to the singular values.
    out["gaussian_150x150"] = f32(rng.standard_normal((150, 150)))
    out["student_t3_300x200"] = f32(rng.standard_t(3, size=(300, 200)) * 0.05)
    # wide matrix (h < d) with 4 planted spikes far above the BBP threshold
    noise = rng.standard_normal((150, 300))
    u = np.linalg.qr(rng.standard_normal((150, 4)))[0]
    v = np.linalg.qr(rng.standard_normal((300, 4)))[0]
    strengths = np.array([60.0, 45.0, 35.0, 28.0])
    out["lowrank4_noise_150x300"] = f32(noise + (u * strengths) @ v.T)
    if trained_path:
        out["sih_trained_W"] = f32(np.load(trained_path))
    return out


def capture_evals():
    """weightwatcher's own eigenvalues: wrap apply_esd and keep ww_layer.evals by layer id."""
    store = {}
    orig = WeightWatcher.apply_esd

    def wrapped(self, ww_layer, params=None):
        res = orig(self, ww_layer, params)
        store[ww_layer.layer_id] = np.array(ww_layer.evals, dtype=np.float64)
        return res

    WeightWatcher.apply_esd = wrapped
    return store


def ww_details(W, store):
    """analyze(mp_fit=True) on a torch nn.Linear holding W (weight is out x in = W's shape)."""
    model = torch.nn.Sequential(torch.nn.Linear(W.shape[1], W.shape[0], bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(W))
    watcher = ww.WeightWatcher(model=model)
    details = watcher.analyze(mp_fit=True, randomize=False, plot=False)
    row = details.iloc[0].to_dict()
    evals = store[row["layer_id"]]
    return row, evals


def compare(evals, tpl_ranges):
    """distribution_compare of the power law against the alternatives, as weightwatcher's WWFit
    does it (its fit on eigenvalues > EVALS_THRESH, power-law loglikelihoods at its MLE alpha,
    the alternatives fitted by powerlaw's classes at its xmin), with the truncated power law's
    parameter ranges `tpl_ranges` (None = powerlaw's defaults, alpha in [0, 3])."""
    nz = evals[evals > 1e-5]  # weightwatcher's EVALS_THRESH
    fit = WW_powerlaw.WWFit(nz)
    pl_ll = np.log((fit.data ** -fit.alpha) * (fit.alpha - 1) * fit.xmin ** (fit.alpha - 1))
    out = {"xmin": float(fit.xmin), "alpha": float(fit.alpha), "n_tail": int(len(fit.data))}
    for name in COMPARED:
        kw = dict(data=fit.data, xmin=fit.xmin, xmax=None, discrete=False,
                  fit_method="Likelihood", parent_Fit=None, verbose=0)
        if name == "truncated_power_law" and tpl_ranges is not None:
            kw["parameter_ranges"] = tpl_ranges
        dist = WW_powerlaw.supported_distributions[name](**kw)
        R, p = powerlaw.loglikelihood_ratio(pl_ll, dist.loglikelihoods(fit.data),
                                            nested=("power_law" in name), normalized_ratio=True)
        out[name] = {"R": float(R), "p": float(p),
                     "params": {k: float(getattr(dist, k)) for k in dist.parameter_names}}
    # the same through weightwatcher's own method (only meaningful for the default ranges)
    if tpl_ranges is None:
        for name in COMPARED:
            R, p = fit.distribution_compare("power_law", name, normalized_ratio=True)
            out[name]["R_via_wwfit"] = float(R)
            out[name]["p_via_wwfit"] = float(p)
    return out


def write_safetensors(path, tensors):
    """A safetensors file by its format (8-byte little-endian header length, JSON header,
    raw little-endian data); Debian has no safetensors package."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, (dtype, t) in tensors.items():
        if dtype == "BF16":
            raw = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        elif dtype == "F16":
            raw = t.to(torch.float16).numpy().tobytes()
        elif dtype == "I64":
            raw = t.to(torch.int64).numpy().tobytes()
        else:
            raw = t.to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


def conv_and_mixed(out_dir, store, versions):
    """A model with a conv kernel and dense layers stored as BF16 and F16: weightwatcher's
    rows per layer, and the same tensors in a safetensors file for `sih analyze`."""
    torch.manual_seed(7)
    conv = torch.nn.Conv2d(8, 16, 3, bias=False)
    lin_bf16 = torch.nn.Linear(80, 120, bias=False)
    lin_f16 = torch.nn.Linear(60, 100, bias=True)
    with torch.no_grad():
        # rounded to the storage dtype, so weightwatcher (which reads .float()) sees the values
        # the file holds
        lin_bf16.weight.copy_((lin_bf16.weight * 10).to(torch.bfloat16).float())
        lin_f16.weight.copy_((lin_f16.weight * 3).to(torch.float16).float())
    model = torch.nn.Sequential(conv, torch.nn.Flatten(), lin_bf16, lin_f16)
    watcher = ww.WeightWatcher(model=model)
    details = watcher.analyze(mp_fit=True, randomize=False, plot=False)
    rows = {}
    keys = ["conv.weight", "lin_bf16.weight", "lin_f16.weight"]
    for k, (_, r) in zip(keys, details.iterrows()):
        row = {c: jsonable(v) for c, v in r.to_dict().items()}
        rows[k] = {"ww": row, "ww_evals": [float(x) for x in store[r["layer_id"]]]}
    write_safetensors(os.path.join(out_dir, "conv_and_mixed.safetensors"), {
        "conv.weight": ("F32", conv.weight.detach()),
        "lin_bf16.weight": ("BF16", lin_bf16.weight.detach()),
        "lin_f16.weight": ("F16", lin_f16.weight.detach()),
        "lin_f16.bias": ("F32", lin_f16.bias.detach()),
        "position_ids": ("I64", torch.arange(40).reshape(2, 20)),
    })
    with open(os.path.join(out_dir, "conv_and_mixed.expected.json"), "w") as f:
        json.dump({"versions": versions, "tensors": rows}, f, indent=1)
    for k, r in rows.items():
        w = r["ww"]
        print(f"{k}: N={w['N']} M={w['M']} rf={w['rf']} alpha={w['alpha']:.6g} "
              f"num_spikes={w['num_spikes']} sigma_mp={w['sigma_mp']:.6g}")


def jsonable(v):
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trained", default="")
    ap.add_argument("--out", default="tests/data/ww")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    store = capture_evals()
    import scipy
    import sklearn
    import mpmath
    versions = {"weightwatcher": ww.__version__, "powerlaw": getattr(powerlaw, "__version__", "?"),
                "numpy": np.__version__, "scipy": scipy.__version__, "torch": torch.__version__,
                "sklearn": sklearn.__version__, "mpmath": mpmath.__version__}
    conv_and_mixed(args.out, store, versions)
    for name, W in matrices(args.trained).items():
        np.save(os.path.join(args.out, name + ".npy"), W)
        row, evals = ww_details(W, store)
        doc = {
            "name": name, "shape": list(W.shape), "versions": versions,
            "ww": {k: jsonable(v) for k, v in row.items()},
            "ww_evals": [float(x) for x in evals],
            "compare_ww_default": compare(evals, None),
            "compare_tpl_alpha_unbounded": compare(evals, {"alpha": [0, None]}),
        }
        with open(os.path.join(args.out, name + ".expected.json"), "w") as f:
            json.dump(doc, f, indent=1)
        r = doc["ww"]
        print(f"{name}: alpha={r['alpha']:.6g} xmin={r['xmin']:.6g} D={r['D']:.4g} "
              f"num_spikes={r['num_spikes']} sigma_mp={r['sigma_mp']:.6g} "
              f"mp_softrank={r['mp_softrank']:.6g} entropy={r['entropy']:.6g}")
        for k in COMPARED:
            c, u = doc["compare_ww_default"][k], doc["compare_tpl_alpha_unbounded"][k]
            print(f"   {k}: R={c['R']:.6g} p={c['p']:.4g} | unbounded R={u['R']:.6g} "
                  f"p={u['p']:.4g} params={u['params']}")


if __name__ == "__main__":
    main()
