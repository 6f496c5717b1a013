#!/usr/bin/python3
"""Reference values for `sih analyze --randomize` (issue 21), from weightwatcher itself.

Run once by a developer; CI only reads the outputs in tests/data/ww/ (README there).
weightwatcher permutes with numpy's global RNG and sih with its own (core/rng.hpp), so no
fixture can hold "the" randomized values of a matrix. Two kinds of reference instead:

- randomize_definitions.json, the definitions on the same numbers: for every layer of
  model_tuned.safetensors and the two planted matrices below, weightwatcher's
  analyze(mp_fit=True, randomize=True) with np.random.seed(0), capturing the original
  eigenvalues (ww_layer.evals), the pooled randomized eigenvalues its MP fit reads
  (ww_layer.rand_evals) and the separate one-permutation draw behind rand_distance /
  ww_softrank / ww_maxdist (the return values of random_eigenvalues), with the columns it
  computed from them. sih's comparison fed those same vectors must give those columns.
- randomize_seeds.json, the distribution over draws: the same analysis under SEEDS numpy
  seeds, per layer the min / max / mean / std of max_rand_eval and rand_num_spikes and the
  fraction of seeds with rand_num_spikes > 0. sih's own draw must fall in that spread, and its
  correlation_trap must agree where weightwatcher's is the same under every seed.

Planted matrices (float32 .npy, 200 x 100): lowrank_200x100 = N(0, 1/100) noise + three
rank-one spikes of singular values 6, 5, 4 (learned-like structure spread over all entries);
lowrank_trap_200x100 = the same with entry [17, 42] set to 4 (one large entry).

    WW_SRC=/tmp/ww PL_SRC=/tmp/pl /usr/bin/python3 scripts/reference/randomize_fixtures.py \
        --out tests/data/ww
"""
import argparse
import json
import os
import sys

import torch  # noqa: E402  (before weightwatcher: see ww_fixtures.py)
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ww_fixtures as wf  # noqa: E402  (the path set-up, the safetensors stub)
import analyze_model_fixtures as amf  # noqa: E402  (model_tuned's tensors, model_of)

WeightWatcher = wf.WeightWatcher
SEEDS = 20
COLUMNS = ["max_rand_eval", "rand_num_spikes", "rand_sigma_mp", "rand_bulk_max",
           "rand_mp_softrank", "rand_distance", "ww_softrank", "ww_maxdist"]


def planted():
    rng = np.random.default_rng(2121)
    noise = rng.standard_normal((200, 100)) / np.sqrt(100)
    u = np.linalg.qr(rng.standard_normal((200, 3)))[0]
    v = np.linalg.qr(rng.standard_normal((100, 3)))[0]
    w = noise + (u * np.array([6.0, 5.0, 4.0])) @ v.T
    trap = w.copy()
    trap[17, 42] = 4.0
    return {"lowrank_200x100": np.asarray(w, np.float32),
            "lowrank_trap_200x100": np.asarray(trap, np.float32)}


def analyze(model, seed, capture):
    """weightwatcher's details with randomize=True after np.random.seed(seed); with capture,
    per layer (in order) the original and randomized eigenvalue vectors it compared."""
    layers = []
    orig_random = WeightWatcher.random_eigenvalues
    orig_apply = WeightWatcher.apply_random_esd

    def random_eigenvalues(self, Wmats, n_comp, num_replicas=1, params=None):
        out = orig_random(self, Wmats, n_comp, num_replicas, params)
        layers[-1]["draws"].append((num_replicas, np.array(out, dtype=np.float64)))
        return out

    def apply_random_esd(self, ww_layer, params=None):
        layers.append({"N": float(ww_layer.N), "M": float(ww_layer.M),
                       "evals": np.array(ww_layer.evals, dtype=np.float64), "draws": []})
        return orig_apply(self, ww_layer, params)

    if capture:
        WeightWatcher.random_eigenvalues = random_eigenvalues
        WeightWatcher.apply_random_esd = apply_random_esd
    try:
        np.random.seed(seed)
        details = WeightWatcher(model=model).analyze(mp_fit=True, randomize=True, plot=False)
    finally:
        WeightWatcher.random_eigenvalues = orig_random
        WeightWatcher.apply_random_esd = orig_apply
    return details, layers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    tuned = amf.tuned_tensors(amf.base_tensors())
    plant = planted()
    for k, w in plant.items():
        np.save(os.path.join(a.out, k + ".npy"), w)
    sets = {"model_tuned.safetensors": (tuned, [f"layers.{i}.weight" for i in range(6)]),
            "lowrank_200x100.npy": (plant, ["lowrank_200x100"]),
            "lowrank_trap_200x100.npy": (plant, ["lowrank_trap_200x100"])}
    versions = {"weightwatcher": getattr(wf.ww, "__version__", "?"), "numpy": np.__version__,
                "torch": torch.__version__}
    definitions, spread = {}, {}
    for source, (tensors, names) in sets.items():
        model = amf.model_of(tensors, names)
        details, layers = analyze(model, 0, capture=True)
        assert len(details) == len(names) == len(layers), (source, len(details))
        for name, (_, row), lay in zip(names, details.iterrows(), layers):
            (pool_n, pooled), (single_n, single) = lay["draws"]
            assert single_n == 1
            definitions[name] = {
                "source": source, "N": lay["N"], "M": lay["M"], "replicas": pool_n,
                "evals": lay["evals"].tolist(), "rand_pooled": pooled.tolist(),
                "rand_single": single.tolist(),
                "ww": {c: wf.jsonable(row[c]) for c in COLUMNS}}
        per_seed = {n: {c: [] for c in COLUMNS} for n in names}
        for seed in range(SEEDS):
            details, _ = analyze(model, seed, capture=False)
            for name, (_, row) in zip(names, details.iterrows()):
                for c in COLUMNS:
                    per_seed[name][c].append(float(row[c]))
        for name in names:
            s = {"source": source}
            for c in ["max_rand_eval", "rand_num_spikes"]:
                v = np.array(per_seed[name][c])
                s[c] = {"min": float(v.min()), "max": float(v.max()), "mean": float(v.mean()),
                        "std": float(v.std(ddof=1))}
            s["trap_fraction"] = float(np.mean(np.array(per_seed[name]["rand_num_spikes"]) > 0))
            spread[name] = s
            print(source, name, "trap fraction", s["trap_fraction"], "max_rand_eval",
                  s["max_rand_eval"], "rand_num_spikes", s["rand_num_spikes"])
    call = ("np.random.seed(s); WeightWatcher(model).analyze(mp_fit=True, randomize=True, "
            "plot=False); model = torch Sequential of Linear/Conv2d layers holding the tensors")
    with open(os.path.join(a.out, "randomize_definitions.json"), "w") as f:
        json.dump({"versions": versions, "call": call + " (s = 0)", "layers": definitions}, f,
                  allow_nan=False)
    with open(os.path.join(a.out, "randomize_seeds.json"), "w") as f:
        json.dump({"versions": versions, "call": call + f" (s = 0..{SEEDS - 1})",
                   "seeds": SEEDS, "layers": spread}, f, indent=1, allow_nan=False)


if __name__ == "__main__":
    main()
