#!/usr/bin/env python3
"""PyTorch baseline for sih's benchmark: the reference's (PyTorch) way of doing one training
step and one checkpoint at the headline size n=2000, d=1000, h=1500, n_test=200 (docs/MODEL.md).

Written from docs/MODEL.md for comparison only; it mirrors the reference's *choices* (svdvals where
it calls svdvals, an n x n kernel for KTA, an explicit inverse for ridge, a Python loop for the
MLE+KS scan), because those choices are what we are timing against.

Run with Debian's torch (the pyenv python3 on PATH has none), e.g.
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/torch_ref.py --csv out/torch_ref.csv

CSV columns: impl,precision,threads,phase,ms
  - threads: OpenBLAS threads. Every heavy op here (GEMM, SVD, inverse) goes through Debian's
    OpenBLAS, whose pthread pool ignores torch.set_num_threads; torch's own intra-op count is
    printed on stdout. --threads N sets both.
  - ms: median over repetitions, except the `main.yml ... (wall s)` rows, which hold one run's
    wall time in ms (seconds x 1000) despite the "s" in the name, measured in a fresh child
    process so that its peak RSS (printed) is the run's own.
  - `checkpoint lightweight` / `checkpoint full` are sums of the part medians in the order and
    multiplicity the reference does them (see checkpoint_plan()).
  - extra rows beyond the shared phase list: `ckpt spectrum eigvalsh` (the cheap alternative
    to svdvals(W)**2), `ckpt full spectra` (what a non-lightweight probe adds) and
    `main.yml full (wall s)` (main.yml has no `lightweight` key, so the reference runs it full).
"""
import argparse
import ctypes
import json
import math
import os
import resource
import subprocess
import sys
import time

import torch

N, D, H, N_TEST = 2000, 1000, 1500, 200
NOISE, REG_LAMBDA, LR = 0.3, 0.01, 1.0
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def openblas():
    """The OpenBLAS torch actually loaded (found via /proc/self/maps so that we talk to the
    same copy, not a second one loaded by ctypes), or None."""
    for path in {line.split()[-1] for line in open("/proc/self/maps")}:
        if "openblas" in os.path.basename(path):
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_num_threads  # noqa: B018 -- probe the symbol
                return lib
            except (OSError, AttributeError):
                pass
    return None


def set_threads(n):
    if n:
        torch.set_num_threads(n)
        lib = openblas()
        if lib:
            lib.openblas_set_num_threads(n)
    lib = openblas()
    return torch.get_num_threads(), (lib.openblas_get_num_threads() if lib else -1)


# ---------------------------------------------------------------- data, model, step
def make_data(dtype):
    beta = torch.randn(D, dtype=dtype)
    beta /= beta.norm()

    def draw(rows):
        X = torch.randn(rows, D, dtype=dtype)
        # Softplus() defaults are beta 1, threshold 20, as docs/MODEL.md §1 states.
        y = torch.nn.functional.softplus(X @ beta) + NOISE * torch.randn(rows, dtype=dtype)
        return X, y[:, None]  # (rows, 1): the reference's KTA builds y y^T from a column

    return beta, draw(N), draw(N), draw(N_TEST)


def make_student(dtype):
    W = torch.randn(H, D, dtype=dtype).requires_grad_(True)
    a = torch.randn(1, H, dtype=dtype)  # frozen read-out (fix_last_layer)
    return W, a


def forward(W, a, X):
    return torch.tanh(X @ W.t() / math.sqrt(D)) @ a.t() / math.sqrt(H)


def train_step(W, a, X, y, opt):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(forward(W, a, X), y)
    loss.backward()
    opt.step()
    return loss.item()


# ---------------------------------------------------------------- checkpoint parts
def spectrum_svdvals(W):
    return torch.sort(torch.linalg.svdvals(W) ** 2).values


def spectrum_eigvalsh(W):
    return torch.linalg.eigvalsh(W.t() @ W)  # ascending already; h > d so W^T W is the small one


def tail_fit(logs, eigs, i):
    """alpha and KS distance of a power law fitted to eigs[i:] (docs/MODEL.md §5)."""
    m = eigs.numel() - i
    alpha = 1 + m / (logs[i:].sum() - m * logs[i])
    seq = torch.arange(m, dtype=eigs.dtype)
    return alpha, lambda: (1 - (eigs[i:] / eigs[i]) ** (1 - alpha) - seq / m).abs().max()


def alpha_fits(eigs):
    logs = eigs.log()
    alpha_hill, D_hill = tail_fit(logs, eigs, eigs.numel() // 2)
    D_hill = D_hill()
    # MLE+KS scan the reference's way: one Python iteration per candidate xmin.
    alphas = torch.zeros(eigs.numel() - 1, dtype=eigs.dtype)
    Ds = torch.ones(eigs.numel() - 1, dtype=eigs.dtype)
    for i in range(eigs.numel() - 1):
        alpha, ks = tail_fit(logs, eigs, i)
        alphas[i] = alpha
        if alpha > 1:
            Ds[i] = ks()
    best = torch.argmin(Ds)  # first minimum
    return alpha_hill.item(), alphas[best].item(), Ds[best].item()


def alignment(W, beta):
    _, _, Vh = torch.linalg.svd(W, full_matrices=False)
    return (torch.dot(Vh[0], beta).abs() / Vh[0].norm()).item()


def features(W, X):
    # The reference's probe scaling: divided by sqrt(d) twice (docs/MODEL.md §4).
    return torch.tanh(X @ W.t() / D) / math.sqrt(H)


def kta(Phi, y):
    K, Ky = Phi @ Phi.t(), y @ y.t()
    return (torch.sum(K * Ky) / (K.norm() * Ky.norm())).item()


def ridge(Phi, y, W, X_test, y_test):
    n, h = Phi.shape
    eye = torch.eye(h, dtype=Phi.dtype)
    # Explicit inverse and left-to-right products, as the reference writes it.
    a_hat = torch.linalg.inv(Phi.t() @ Phi + (REG_LAMBDA / h) * n * eye) @ Phi.t() @ y
    train = torch.nn.functional.mse_loss(Phi @ a_hat, y).item()
    val = torch.nn.functional.mse_loss(features(W, X_test) @ a_hat, y_test).item()
    return train, val


def overlaps(W0, W1):
    M = W1 - W0
    U_M, S_M, Vh_M = torch.linalg.svd(M, full_matrices=False)
    for W in (W0, W1):
        U, _, Vh = torch.linalg.svd(W, full_matrices=False)
        (U.t() @ U_M).square(), (Vh @ Vh_M.t()).square()
    return S_M


def full_spectra(W, a):
    # Non-lightweight probe_weights, both layers: svdvals(W) and svdvals(W^T W); for layer 1
    # the same on a (1 x h), whose a^T a is a dense h x h matrix.
    for M in (W, a):
        torch.linalg.svdvals(M), torch.linalg.svdvals(M.t() @ M)


def checkpoint(W, a, beta, probe, test, full):
    """One checkpoint in the reference's order; returns the metrics for sanity output."""
    eigs = spectrum_svdvals(W)  # Hill ...
    spectrum_svdvals(W)         # ... and MLE+KS each recompute svdvals in the reference
    out = dict(zip(("alpha_hill", "alpha_mle", "D_mle"), alpha_fits(eigs)))
    out["align"] = alignment(W, beta)
    if full:
        full_spectra(W, a)
    out["kta"] = kta(features(W, probe[0]), probe[1])           # probe_features
    out["train"], out["val"] = ridge(features(W, probe[0]), probe[1], W, *test)  # eval
    return out


def checkpoint_plan():
    """(part, multiplicity) summed into the whole-checkpoint rows. Features count twice: the
    reference runs the probe set through the network in probe_features and again in eval."""
    light = [("ckpt spectrum", 2), ("ckpt alpha fits", 1), ("ckpt alignment", 1),
             ("ckpt features", 2), ("ckpt KTA", 1), ("ckpt ridge", 1)]
    return light, light + [("ckpt full spectra", 1)]


# ---------------------------------------------------------------- timing
def median_ms(fn, reps, warmup):
    if warmup:
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return sorted(ts)[len(ts) // 2]


def bench_precision(prec, quick):
    dtype = DTYPES[prec]
    # Slow parts (>~0.3 s) get no warm-up: their first call's overhead is small relative.
    fast, slow, warm = (1, 1, False) if quick else (5, 3, True)
    torch.manual_seed(0)
    beta, (X, y), probe, test = make_data(dtype)
    W, a = make_student(dtype)
    W0 = W.detach().clone()
    r = {}
    for name, cls in (("sgd", torch.optim.SGD), ("adam", torch.optim.Adam)):
        with torch.no_grad():
            W.copy_(W0)
        opt = cls([W], lr=LR)
        r["train step " + name] = median_ms(lambda: train_step(W, a, X, y, opt), fast, warm)
    W1 = W.detach().clone()  # after some Adam steps: a realistic W_{k+1} for overlaps
    with torch.no_grad():
        eigs = spectrum_svdvals(W0)
        Phi = features(W0, probe[0])
        r["ckpt spectrum"] = median_ms(lambda: spectrum_svdvals(W0), slow, False)
        r["ckpt spectrum eigvalsh"] = median_ms(lambda: spectrum_eigvalsh(W0), slow, False)
        r["ckpt alpha fits"] = median_ms(lambda: alpha_fits(eigs), slow, False)
        r["ckpt alignment"] = median_ms(lambda: alignment(W0, beta), slow, False)
        r["ckpt features"] = median_ms(lambda: features(W0, probe[0]), fast, warm)
        r["ckpt KTA"] = median_ms(lambda: kta(Phi, probe[1]), fast, warm)
        r["ckpt ridge"] = median_ms(lambda: ridge(Phi, probe[1], W0, *test), slow, False)
        r["ckpt overlaps"] = median_ms(lambda: overlaps(W0, W1), slow, False)
        r["ckpt full spectra"] = median_ms(lambda: full_spectra(W0, a), slow, False)
        ev, sv = spectrum_eigvalsh(W0), eigs
        print(f"  [{prec}] max |eigvalsh - svdvals^2| / lambda_max = "
              f"{((ev - sv).abs().max() / sv[-1]).item():.2e}")
    light, full = checkpoint_plan()
    r["checkpoint lightweight"] = sum(r[p] * k for p, k in light)
    r["checkpoint full"] = sum(r[p] * k for p, k in full)
    return r


def main_yml(prec, full):
    """main.yml: Adam lr 1, 10 full-batch steps, probes at step 0 and 10, fix_last_layer."""
    dtype = DTYPES[prec]
    torch.manual_seed(1)
    t = time.perf_counter()
    beta, (X, y), probe, test = make_data(dtype)
    W, a = make_student(dtype)
    opt = torch.optim.Adam([W], lr=LR)
    with torch.no_grad():
        # Once before training the reference SVDs W0 for the "init W PCs vs beta" plot.
        _, _, Vh = torch.linalg.svd(W, full_matrices=False)
        (Vh @ beta).abs()
        ckpts = [checkpoint(W, a, beta, probe, test, full)]
    losses = [train_step(W, a, X, y, opt) for _ in range(10)]
    with torch.no_grad():
        ckpts.append(checkpoint(W, a, beta, probe, test, full))
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return dict(wall_s=wall, rss_mib=rss, losses=losses, ckpts=ckpts)


# ---------------------------------------------------------------- driver
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="torch and OpenBLAS threads")
    ap.add_argument("--csv", help="write impl,precision,threads,phase,ms rows here")
    ap.add_argument("--quick", action="store_true", help="1 repetition, no warm-up")
    ap.add_argument("--precision", choices=list(DTYPES), action="append")
    ap.add_argument("--main-yml-child", nargs=2, metavar=("PREC", "FULL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch_threads, blas_threads = set_threads(args.threads)

    if args.main_yml_child:
        print(json.dumps(main_yml(args.main_yml_child[0], args.main_yml_child[1] == "1")))
        return

    how = "set by --threads" if args.threads else "defaults"
    print(f"torch {torch.__version__}: intra-op threads {torch_threads}, "
          f"OpenBLAS threads {blas_threads} ({how}), "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    rows = []
    for prec in args.precision or list(DTYPES):
        r = bench_precision(prec, args.quick)
        for variant, full in (("lightweight", "0"), ("full", "1")):
            cmd = [sys.executable, __file__, "--main-yml-child", prec, full]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            out = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                            text=True).stdout)
            r[f"main.yml {variant} (wall s)"] = out["wall_s"] * 1e3
            c0, c10 = out["ckpts"]
            print(f"  [{prec}] main.yml {variant}: wall {out['wall_s']:.2f} s, "
                  f"peak RSS {out['rss_mib']:.0f} MiB")
            if full == "0":
                print(f"  [{prec}] Adam batch losses: "
                      + " ".join(f"{v:.3g}" for v in out["losses"]))
                for s, c in ((0, c0), (10, c10)):
                    print(f"  [{prec}] step {s:2d}: " + ", ".join(
                        f"{k} {v:.4g}" for k, v in c.items()))
        rows += [(prec, phase, ms) for phase, ms in r.items()]

    print(f"\n{'phase':34s} {'precision':9s} {'ms':>10s}")
    for prec, phase, ms in rows:
        print(f"{phase:34s} {prec:9s} {ms:10.1f}")
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("impl,precision,threads,phase,ms\n")
            for prec, phase, ms in rows:
                f.write(f"pytorch,{prec},{blas_threads},{phase},{ms:.3f}\n")


if __name__ == "__main__":
    main()
