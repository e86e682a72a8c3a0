#!/usr/bin/env python3
"""Writes Tests/golden/schedulers.json: the learning rates (and OneCycleLR's momentum or beta1)
that torch.optim.lr_scheduler's LambdaLR, MultiplicativeLR, ExponentialLR, OneCycleLR and
ReduceLROnPlateau set, right after construction and after every step, for each case below.
The engine's schedulers replay the cases in Swift (Tests/SwiftNNTests/SchedulerGoldenTests.swift),
C (Tests/c/test_schedulers.c) and Python (bindings/python/tests/test_lr_schedulers.py); the Swift
and C tests know each lambda expression below by its text. Run by hand after changing a case and
commit the output:

    python3 tools/gen_golden_schedulers.py

Needs torch (tools only: the tests never import torch). Lambdas are written as expressions of
`epoch` so that the test can build the same function.
"""
import json
import math
import os

import numpy as np
import torch
from torch.optim import lr_scheduler as S

# (name, optimizer, optimizer kwargs, group lrs, scheduler, scheduler kwargs, steps[, extras])
CASES = [
    ("lambda_pow", "sgd", {"momentum": 0.9}, [0.1], "LambdaLR", {"lr_lambda": "0.95 ** epoch"}, 12),
    ("lambda_two_groups", "adam", {}, [0.01, 0.003], "LambdaLR",
     {"lr_lambda": ["1.0 / (epoch + 1)", "min(1.0, (epoch + 1) / 5)"]}, 10),
    ("multiplicative", "sgd", {}, [0.2], "MultiplicativeLR", {"lr_lambda": "0.9 if epoch % 3 else 0.5"}, 12),
    ("exponential", "adam", {}, [0.05, 0.01], "ExponentialLR", {"gamma": 0.8}, 10),
    ("onecycle_cos_sgd", "sgd", {"momentum": 0.9}, [0.1], "OneCycleLR", {"max_lr": 0.5, "total_steps": 20}, 20),
    ("onecycle_linear_adam", "adam", {}, [0.01], "OneCycleLR",
     {"max_lr": 0.02, "total_steps": 17, "anneal_strategy": "linear", "pct_start": 0.25}, 17),
    ("onecycle_three_phase", "adamw", {}, [0.01, 0.02], "OneCycleLR",
     {"max_lr": [0.1, 0.2], "epochs": 3, "steps_per_epoch": 8, "three_phase": True,
      "base_momentum": 0.8, "max_momentum": 0.9, "div_factor": 10.0, "final_div_factor": 100.0}, 24),
    ("onecycle_no_momentum", "rmsprop", {}, [0.01], "OneCycleLR",
     {"max_lr": 0.05, "total_steps": 12, "cycle_momentum": False}, 12),
    ("plateau_min_rel", "sgd", {}, [0.1], "ReduceLROnPlateau", {"patience": 2}, 30),
    ("plateau_max_abs_cooldown", "adam", {}, [0.01, 0.05], "ReduceLROnPlateau",
     {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.05, "threshold_mode": "abs",
      "cooldown": 2, "min_lr": [0.002, 0.01]}, 30),
    ("plateau_min_abs_minlr", "sgd", {"momentum": 0.5}, [0.3], "ReduceLROnPlateau",
     {"factor": 0.3, "patience": 0, "threshold": 0.01, "threshold_mode": "abs", "min_lr": 0.01}, 25),
    ("plateau_max_rel", "sgd", {}, [0.1], "ReduceLROnPlateau",
     {"mode": "max", "factor": 0.7, "patience": 3, "threshold": 0.1, "cooldown": 1, "eps": 1e-3}, 30),
]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
              "rmsprop": torch.optim.RMSprop}


def make_lambda(expr):
    return eval(f"lambda epoch: {expr}", {"min": min, "max": max, "math": math})


def metrics(name, steps):
    """A noisy curve that plateaus (deterministic per case): improvements, then flat stretches."""
    rng = np.random.default_rng(sum(map(ord, name)))
    base = np.concatenate([np.linspace(1.0, 0.5, steps // 3), np.full(steps - steps // 3, 0.5)])
    return [float(round(v, 4)) for v in base + rng.normal(0, 0.02, steps)]


def momentum_of(opt):
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g.get("momentum", 0.0))
    return out


def run(case):
    name, opt_name, opt_kwargs, lrs, sched_name, kwargs, steps = case
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in lrs]
    opt = OPTIMIZERS[opt_name]([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], **opt_kwargs)
    built = dict(kwargs)
    if "lr_lambda" in built:
        e = built["lr_lambda"]
        built["lr_lambda"] = [make_lambda(x) for x in e] if isinstance(e, list) else make_lambda(e)
    sched = getattr(S, sched_name)(opt, **built)
    record = {"name": name, "optimizer": opt_name, "optimizer_kwargs": opt_kwargs, "lrs": lrs,
              "scheduler": sched_name, "kwargs": kwargs, "steps": steps,
              "lr": [[g["lr"] for g in opt.param_groups]], "momentum": [momentum_of(opt)]}
    if sched_name == "ReduceLROnPlateau":
        record["metrics"] = metrics(name, steps)
    for i in range(steps):
        for p in params:
            p.grad = torch.ones_like(p)
        opt.step()
        if sched_name == "ReduceLROnPlateau":
            sched.step(record["metrics"][i])
        elif sched_name == "OneCycleLR" and i == steps - 1:
            break  # OneCycleLR allows total_steps - 1 steps after construction
        else:
            sched.step()
        record["lr"].append([g["lr"] for g in opt.param_groups])
        record["momentum"].append(momentum_of(opt))
    record["state_dict_keys"] = sorted(k for k in sched.state_dict() if not k.startswith("_"))
    return record


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = {"generator": "tools/gen_golden_schedulers.py", "torch": torch.__version__, "cases": [run(c) for c in CASES]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden", "schedulers.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"schedulers: {len(out['cases'])} cases")
