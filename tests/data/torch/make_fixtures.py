#!/usr/bin/env python3
"""PyTorch trajectories for sih's issue-13 models, optimizers and schedules.

Run once with Debian's python3-torch (1.13) and numpy:
    /usr/bin/python3 tests/data/torch/make_fixtures.py tests/data/reference/traj_init tests/data/torch

Inputs: the reference fixtures' shared initial arrays (traj_init/: beta, W0, a0, X/y train,
probe, test; d=40, h=60, n=200, n_test=50, see tests/data/reference/README.md), plus a
hidden-layer bias b0 drawn here (numpy default_rng(13), N(0, 3^2), so that b0/sqrt(d) ~ 0.5
moves the pre-activations visibly) and written to init/b0.csv.

Each case trains the reference's two-layer student, written out with torch.nn modules:
    Z = Linear(d, h, bias)(X);  Z /= sqrt(d);  out = Linear(h, 1, bias=False)(act(Z)) / sqrt(h)
in float64, full batch, 5 updates with MSELoss, the torch.optim optimizer and
torch.optim.lr_scheduler class of the case (scheduler.step() after every optimizer.step(),
as the reference's Trainer). 'signgd' is not in torch.optim: p -= lr * sign(grad + wd p)
under torch.no_grad(). With fix_last_layer the read-out is frozen (requires_grad False);
without it both layers are trained by the same optimizer.

Recorded per step s = 0..5 (after s updates), as sih's metrics.csv defines them:
  lr          lr of the update producing step s (param_groups[0]['lr'] before step()),
              for s = 0 the optimizer's lr after the scheduler's constructor
  kta         KTA(act((X_p W^T + b)/d), y_p): the reference's probe features, divided by
              sqrt(d) twice (its quirk 1); X_p = the probe set, or the train set without
              fix_last_layer (the reference's probe loader is the train loader then)
  train_loss  fix_last_layer: MSE of the ridge refit on the probe features
              F = act((X_p W^T + b)/d)/sqrt(h), a_hat = inv(F^T F + (lambda/h) n I) F^T y_p;
              else (s >= 1): the full-batch training loss that update s differentiated
  val_loss    fix_last_layer: MSE of F_test a_hat on the test set; else (s >= 1) the
              model's own MSE on the test set
Weights after the 5th update: <case>_W5.npy (60x40), and <case>_a5.npy / <case>_b5.npy
(60x1) when trained. Everything else in <case>.json.
"""
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

D, H, N, N_TEST, STEPS, REG_LAMBDA = 40, 60, 200, 50, 5, 0.01

ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "gelu": torch.nn.functional.gelu,  # approximate='none': the erf form
    "sigmoid": torch.sigmoid,
    "erf": torch.erf,
    "linear": lambda z: z,
}

BASE = dict(optimizer="sgd", lr=0.1, momentum=0.0, weight_decay=0.0, nesterov=False,
            adam_betas=[0.9, 0.999], adam_eps=1e-8, rmsprop_alpha=0.99, rmsprop_eps=1e-8,
            lr_scheduler_cls=None, lr_scheduler_kwargs={}, activation="tanh", bias=False,
            fix_last_layer=True)

CASES = {
    "sgd_nesterov": dict(optimizer="sgd", lr=0.5, momentum=0.9, nesterov=True,
                         weight_decay=0.01),
    "adam_betas_eps": dict(optimizer="adam", lr=0.1, adam_betas=[0.8, 0.95], adam_eps=1e-4,
                           weight_decay=0.001),
    "adamw": dict(optimizer="adamw", lr=0.1, weight_decay=0.1),
    "rmsprop": dict(optimizer="rmsprop", lr=0.01, rmsprop_alpha=0.9, rmsprop_eps=1e-6,
                    momentum=0.5, weight_decay=0.001),
    "signgd": dict(optimizer="signgd", lr=0.01, weight_decay=0.001),
    "cosine": dict(optimizer="sgd", lr=1.0, lr_scheduler_cls="CosineAnnealingLR",
                   lr_scheduler_kwargs={"T_max": 3, "eta_min": 0.05}),
    "exponential": dict(optimizer="sgd", lr=1.0, lr_scheduler_cls="ExponentialLR",
                        lr_scheduler_kwargs={"gamma": 0.6}),
    "linear_warmup": dict(optimizer="adam", lr=0.1, lr_scheduler_cls="LinearLR",
                          lr_scheduler_kwargs={"start_factor": 0.2, "total_iters": 3}),
    "relu": dict(optimizer="sgd", lr=1.0, activation="relu"),
    "gelu_bias": dict(optimizer="adam", lr=0.05, activation="gelu", bias=True),
    "sigmoid": dict(optimizer="sgd", lr=1.0, activation="sigmoid"),
    "readout": dict(optimizer="sgd", lr=0.5, fix_last_layer=False),
    "readout_gelu_bias_adamw": dict(optimizer="adamw", lr=0.05, weight_decay=0.01,
                                    activation="gelu", bias=True, fix_last_layer=False),
    "readout_erf_bias_steplr": dict(optimizer="sgd", lr=0.5, momentum=0.5, activation="erf",
                                    bias=True, fix_last_layer=False,
                                    lr_scheduler_cls="StepLR",
                                    lr_scheduler_kwargs={"step_size": 2, "gamma": 0.5}),
}


def load(folder, name):
    a = np.loadtxt(os.path.join(folder, name + ".csv"), delimiter=",", ndmin=2)
    return torch.tensor(a)


def kta(z, y):
    k = z @ z.T
    yy = y @ y.T
    return float((k * yy).sum() / (torch.linalg.norm(k) * torch.linalg.norm(yy)))


class Student(torch.nn.Module):
    def __init__(self, act, bias, W0, a0, b0):
        super().__init__()
        self.act = ACTIVATIONS[act]
        self.hidden_layer = torch.nn.Linear(D, H, bias=bias)
        self.final_layer = torch.nn.Linear(H, 1, bias=False)
        with torch.no_grad():
            self.hidden_layer.weight.copy_(W0)
            self.final_layer.weight.copy_(a0.reshape(1, H))
            if bias:
                self.hidden_layer.bias.copy_(b0.reshape(H))

    def affine(self, X):
        return self.hidden_layer(X)

    def forward(self, X):
        Z = self.hidden_layer(X)
        Z = Z / np.sqrt(D)
        Z = self.act(Z)
        return self.final_layer(Z) / np.sqrt(H)


@torch.no_grad()
def probe_features(model, X):
    # The reference's quirk 1: the Linear output divided by sqrt(d) twice.
    Z = model.affine(X)
    Z = Z / np.sqrt(D)
    Z = Z / np.sqrt(D)
    return model.act(Z)


def make_optimizer(cfg, params):
    name, lr, wd = cfg["optimizer"], cfg["lr"], cfg["weight_decay"]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=cfg["momentum"], weight_decay=wd,
                               nesterov=cfg["nesterov"])
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(cfg["adam_betas"]),
                                eps=cfg["adam_eps"], weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(cfg["adam_betas"]),
                                 eps=cfg["adam_eps"], weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=cfg["rmsprop_alpha"],
                                   eps=cfg["rmsprop_eps"], weight_decay=wd,
                                   momentum=cfg["momentum"])
    if name == "signgd":
        # Plain SGD as the lr holder for the schedulers; the update is done by hand.
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(name)


def run_case(name, cfg, arrays, b0):
    X, y = arrays["X_train"], arrays["y_train"]
    model = Student(cfg["activation"], cfg["bias"], arrays["W0"], arrays["a0"], b0)
    if cfg["fix_last_layer"]:
        model.final_layer.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(cfg, params)
    sched = None
    if cfg["lr_scheduler_cls"]:
        cls = getattr(torch.optim.lr_scheduler, cfg["lr_scheduler_cls"])
        sched = cls(opt, **cfg["lr_scheduler_kwargs"])
    loss_fn = torch.nn.MSELoss()
    Xp, yp = (arrays["X_probe"], arrays["y_probe"]) if cfg["fix_last_layer"] else (X, y)

    def record(step, batch_loss, lr):
        rec = {"step": step, "lr": lr}
        F = probe_features(model, Xp)
        rec["kta"] = kta(F, yp)
        with torch.no_grad():
            if cfg["fix_last_layer"]:
                Fh = F / np.sqrt(H)
                ridge = REG_LAMBDA / H * Fh.shape[0]
                a_hat = torch.linalg.inv(Fh.T @ Fh + ridge * torch.eye(H)) @ Fh.T @ yp
                rec["train_loss"] = float(loss_fn(Fh @ a_hat, yp))
                Ft = probe_features(model, arrays["X_test"]) / np.sqrt(H)
                rec["val_loss"] = float(loss_fn(Ft @ a_hat, arrays["y_test"]))
            elif step > 0:
                rec["train_loss"] = batch_loss
                rec["val_loss"] = float(loss_fn(model(arrays["X_test"]), arrays["y_test"]))
        return rec

    steps = [record(0, None, opt.param_groups[0]["lr"])]
    for s in range(1, STEPS + 1):
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        if cfg["optimizer"] == "signgd":
            with torch.no_grad():
                for p in params:
                    p -= lr * torch.sign(p.grad + cfg["weight_decay"] * p)
        else:
            opt.step()
        if sched is not None:
            sched.step()
        steps.append(record(s, float(loss), lr))
    weights = {"W5": model.hidden_layer.weight.detach().numpy().copy()}
    if not cfg["fix_last_layer"]:
        weights["a5"] = model.final_layer.weight.detach().numpy().reshape(H, 1).copy()
    if cfg["bias"]:
        weights["b5"] = model.hidden_layer.bias.detach().numpy().reshape(H, 1).copy()
    return steps, weights


def main():
    init_dir, out_dir = sys.argv[1], sys.argv[2]
    arrays = {k: load(init_dir, k) for k in
              ["W0", "a0", "X_train", "y_train", "X_probe", "y_probe", "X_test", "y_test"]}
    os.makedirs(os.path.join(out_dir, "init"), exist_ok=True)
    b0 = np.random.default_rng(13).normal(0.0, 3.0, size=(H, 1))
    np.savetxt(os.path.join(out_dir, "init", "b0.csv"), b0, fmt="%.17g", delimiter=",")
    b0 = torch.tensor(np.loadtxt(os.path.join(out_dir, "init", "b0.csv"), ndmin=2))
    for name, overrides in CASES.items():
        cfg = dict(BASE, **overrides)
        steps, weights = run_case(name, cfg, arrays, b0)
        for key, w in weights.items():
            np.save(os.path.join(out_dir, f"{name}_{key}.npy"), w)
        meta = {"name": name, "dtype": "float64", "torch": torch.__version__,
                "numpy": np.__version__, "d": D, "h": H, "n": N, "n_test": N_TEST,
                "reg_lambda": REG_LAMBDA, "config": cfg, "steps": steps}
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(name, "final loss", steps[-1].get("train_loss"))


if __name__ == "__main__":
    main()
