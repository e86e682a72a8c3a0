"""Golden trajectories for torch.optim (stateful, so not an op area of gen_golden.py):
optimizer parameter trajectories over fixed gradients, clip_grad_norm_, and scheduler lr
sequences. Written by tools/gen_golden_optim.py to Tests/golden/optim_trajectories.*

Manifest line: `<case> <kind> [key=value ...]` with PyTorch's argument names; `g1.<key>` puts
parameter 1 in a second group (add_param_group) with those options; `skip=<param>:<step>`
leaves that parameter without a gradient at that step. Tensors:
  optimizers  <case>.p<j>.init, <case>.p<j>.grad<s> (absent when skipped), <case>.p<j>.step<s>
              (the parameter after step s), s = 0..4; <case>.state<j>.<key>: the optimizer's
              state_dict()["state"][j][key] after the last step (PyTorch's keys; None omitted)
  clip        <case>.param<j>, <case>.grad<j> (absent: no gradient), <case>.clipped<j>, <case>.total
  schedulers  <case>.lr: [31, groups], the lr after construction and after each of 30 steps
"""
import numpy as np
import torch

from .common import fmt

STEPS = 5
SHAPES = [(3, 4), (5,)]

# name, kind, options (torch keyword arguments), second-group options or None, skip or None
OPTIMIZERS = [
    ("sgd_plain", "sgd", dict(lr=0.1), None, None),
    ("sgd_momentum_dampening", "sgd", dict(lr=0.05, momentum=0.9, dampening=0.3), None, None),
    ("sgd_nesterov_wd", "sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01), None, None),
    ("sgd_maximize_groups", "sgd", dict(lr=0.1, momentum=0.5, maximize=True), dict(lr=0.02, momentum=0.0), None),
    ("sgd_momentum_skip", "sgd", dict(lr=0.1, momentum=0.9), None, (1, 2)),
    ("adam", "adam", dict(lr=0.01), None, None),
    ("adam_amsgrad_wd", "adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05, amsgrad=True), None, None),
    ("adam_groups_skip", "adam", dict(lr=0.01), dict(lr=0.05, betas=(0.5, 0.9)), (0, 1)),
    ("adamw", "adamw", dict(lr=0.01, weight_decay=0.1), None, None),
    ("adamw_defaults_amsgrad_maximize", "adamw", dict(lr=0.02, amsgrad=True, maximize=True), None, None),
    ("rmsprop", "rmsprop", dict(lr=0.01), None, None),
    ("rmsprop_centered_momentum_wd", "rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.05), None, None),
    ("rmsprop_maximize_groups_skip", "rmsprop", dict(lr=0.02, maximize=True, eps=1e-4), dict(lr=0.005, alpha=0.5), (1, 2)),
    ("adagrad", "adagrad", dict(lr=0.1), None, None),
    ("adagrad_decay_wd_init", "adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3), None, None),
    ("adagrad_maximize_groups_skip", "adagrad", dict(lr=0.05, maximize=True, eps=1e-3), dict(lr=0.2, lr_decay=0.1), (0, 3)),
]

# name, max_norm, norm_type, index of the parameter without a gradient or None
CLIPS = [
    ("clip_l2", 1.0, 2.0, None),
    ("clip_inf", 0.5, float("inf"), None),
    ("clip_l2_noop", 100.0, 2.0, None),
    ("clip_l1_nograd", 2.0, 1.0, 2),
    ("clip_l3", 1.5, 3.0, None),
]
CLIP_SHAPES = [(4, 5), (7,), (2, 3)]

# name, kind, group lrs, scheduler keyword arguments
SCHEDULERS = [
    ("sched_step", "step_lr", [0.1], dict(step_size=7, gamma=0.5)),
    ("sched_multistep", "multi_step_lr", [0.1], dict(milestones=[5, 12, 12, 20], gamma=0.3)),
    ("sched_cosine", "cosine", [0.1], dict(T_max=10, eta_min=0.001)),
    ("sched_cosine_groups", "cosine", [0.1, 0.02], dict(T_max=30)),
    ("sched_linear", "linear", [0.1], dict(start_factor=0.25, end_factor=1.0, total_iters=8)),
    ("sched_linear_defaults", "linear", [0.1], dict()),
    ("sched_linear_decay", "linear", [0.05, 0.2], dict(start_factor=1.0, end_factor=0.1, total_iters=20)),
]
SCHEDULER_STEPS = 30

OPTIMIZER_CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                     "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}
SCHEDULER_CLASSES = {"step_lr": torch.optim.lr_scheduler.StepLR, "multi_step_lr": torch.optim.lr_scheduler.MultiStepLR,
                     "cosine": torch.optim.lr_scheduler.CosineAnnealingLR, "linear": torch.optim.lr_scheduler.LinearLR}


def attrs(options, prefix=""):
    return [f"{prefix}{k}={fmt(v)}" for k, v in options.items()]


def build(rng):
    tensors, lines = {}, []

    def randn(*shape):
        return np.asarray(rng.standard_normal(shape), dtype=np.float32)

    for name, kind, options, group1, skip in OPTIMIZERS:
        params = [torch.from_numpy(randn(*s)).requires_grad_(True) for s in SHAPES]
        for j, p in enumerate(params):
            tensors[f"{name}.p{j}.init"] = p.detach().numpy().copy()
        if group1 is None:
            opt = OPTIMIZER_CLASSES[kind](params, **options)
        else:
            opt = OPTIMIZER_CLASSES[kind]([{"params": [params[0]]}, {"params": [params[1]], **group1}], **options)
        for s in range(STEPS):
            for j, p in enumerate(params):
                if skip == (j, s):
                    p.grad = None
                    continue
                g = randn(*SHAPES[j])
                tensors[f"{name}.p{j}.grad{s}"] = g
                p.grad = torch.from_numpy(g.copy())
            opt.step()
            for j, p in enumerate(params):
                tensors[f"{name}.p{j}.step{s}"] = p.detach().numpy().copy()
        for j, entries in opt.state_dict()["state"].items():
            for key, value in entries.items():
                if value is not None:
                    tensors[f"{name}.state{j}.{key}"] = value.detach().numpy().astype(np.float32).copy()
        line = [name, kind] + attrs(options) + (attrs(group1, "g1.") if group1 else [])
        if skip:
            line.append(f"skip={skip[0]}:{skip[1]}")
        lines.append(" ".join(line))

    for name, max_norm, norm_type, nograd in CLIPS:
        params = [torch.from_numpy(randn(*s)).requires_grad_(True) for s in CLIP_SHAPES]
        for j, p in enumerate(params):
            tensors[f"{name}.param{j}"] = p.detach().numpy().copy()
            if j != nograd:
                g = randn(*CLIP_SHAPES[j])
                tensors[f"{name}.grad{j}"] = g
                p.grad = torch.from_numpy(g.copy())
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        tensors[f"{name}.total"] = total.detach().numpy().astype(np.float32).reshape(())
        for j, p in enumerate(params):
            if p.grad is not None:
                tensors[f"{name}.clipped{j}"] = p.grad.numpy().copy()
        lines.append(f"{name} clip max_norm={fmt(max_norm)} norm_type={fmt(norm_type)}")

    for name, kind, lrs, options in SCHEDULERS:
        dummy = [torch.zeros(1, requires_grad=True) for _ in lrs]
        opt = torch.optim.SGD([{"params": [d], "lr": lr} for d, lr in zip(dummy, lrs)])
        sched = SCHEDULER_CLASSES[kind](opt, **options)
        seq = [[g["lr"] for g in opt.param_groups]]
        for _ in range(SCHEDULER_STEPS):
            opt.step()
            sched.step()
            seq.append(list(sched.get_last_lr()))
        tensors[f"{name}.lr"] = np.asarray(seq, dtype=np.float32)
        lines.append(" ".join([name, kind, f"lr={fmt(lrs)}"] + attrs(options)))
    return tensors, lines
