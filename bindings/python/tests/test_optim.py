"""swiftnn.optim against PyTorch's trajectories (Tests/golden/optim_trajectories.*, written by
tools/gen_golden_optim.py and read here with safetensors.numpy): every optimizer config,
clip_grad_norm_ case and scheduler lr sequence, with no leaked handles; then behaviour:
convergence on a quadratic, param groups, lr assignment, zero_grad, errors and handle kinds."""
import ctypes
import gc
import math
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import optim
from swiftnn.optim import lr_scheduler
from conftest import GOLDEN

TENSORS = load_file(os.path.join(GOLDEN, "optim_trajectories.safetensors"))

BOOLS = {"nesterov", "maximize", "amsgrad", "centered"}
INTS = {"step_size", "T_max", "total_iters"}


def _value(key, v):
    key = key.split(".")[-1]
    if key in BOOLS:
        return v == "1"
    if key in INTS:
        return int(v)
    if key == "betas":
        return tuple(float(x) for x in v.split(","))
    if key == "milestones":
        return [int(x) for x in v.split(",")]
    if key == "lr" and "," in v:
        return [float(x) for x in v.split(",")]
    return float(v)


def load_cases():
    cases = []
    for line in open(os.path.join(GOLDEN, "optim_trajectories.txt")):
        if line.startswith("#") or not line.strip():
            continue
        name, kind, *rest = line.split()
        attrs = dict(p.split("=", 1) for p in rest)
        cases.append((name, kind, attrs))
    return cases


CASES = load_cases()
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
              "adagrad": optim.Adagrad}
SCHEDULERS = {"step_lr": lr_scheduler.StepLR, "multi_step_lr": lr_scheduler.MultiStepLR,
              "cosine": lr_scheduler.CosineAnnealingLR, "linear": lr_scheduler.LinearLR}


def assert_close(actual, expected, what):
    assert np.shape(actual) == expected.shape, f"{what}: shape {np.shape(actual)} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=what)


def handles():
    gc.collect()
    return swiftnn.live_handles()


@pytest.mark.parametrize("name,kind,attrs", [c for c in CASES if c[1] in OPTIMIZERS], ids=lambda v: v if isinstance(v, str) else "")
def test_optimizer_trajectory_matches_pytorch(name, kind, attrs):
    before = handles()
    params = [swiftnn.from_numpy(TENSORS[f"{name}.p{j}.init"]).requires_grad_() for j in range(2)]
    options = {k: _value(k, v) for k, v in attrs.items() if "." not in k and k != "skip"}
    group1 = {k[3:]: _value(k, v) for k, v in attrs.items() if k.startswith("g1.")}
    if group1:
        opt = OPTIMIZERS[kind]([{"params": [params[0]]}, {"params": [params[1]], **group1}], **options)
    else:
        opt = OPTIMIZERS[kind](params, **options)
    assert len(opt.param_groups) == (2 if group1 else 1)
    for s in range(5):
        for j, p in enumerate(params):
            g = TENSORS.get(f"{name}.p{j}.grad{s}")
            p.grad = None if g is None else swiftnn.from_numpy(g)
        opt.step()
        for j, p in enumerate(params):
            assert_close(p.detach().numpy(), TENSORS[f"{name}.p{j}.step{s}"], f"{name} param {j} after step {s}")
    # state_dict()["state"]: PyTorch's keys and values after the last step.
    state = opt.state_dict()["state"]
    want = {}
    for k in TENSORS:
        if k.startswith(f"{name}.state"):
            j, key = k[len(name) + 6:].split(".", 1)
            want.setdefault(int(j), {})[key] = TENSORS[k]
    assert sorted(state) == sorted(want), f"{name}: state for parameters {sorted(state)}, PyTorch {sorted(want)}"
    for j in want:
        assert sorted(state[j]) == sorted(want[j]), f"{name} param {j}: state keys {sorted(state[j])}, PyTorch {sorted(want[j])}"
        for key, value in want[j].items():
            assert_close(state[j][key].numpy(), value, f"{name} state {j} {key}")
    del opt, params, p, state
    assert handles() == before, f"{name} leaked handles"


@pytest.mark.parametrize("kind,options", [("sgd", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                          ("adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
                                          ("adamw", dict(lr=0.01)),
                                          ("rmsprop", dict(lr=0.01, momentum=0.5, centered=True)),
                                          ("adagrad", dict(lr=0.1, lr_decay=0.01))])
def test_resumed_run_continues_bit_for_bit(tmp_path, kind, options):
    """Save a checkpoint (weights + optimizer state + epoch) mid-run, load it into a fresh model
    and optimizer, continue both: the parameters agree bit for bit."""
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]] for _ in range(6)]

    def run(params, opt, steps):
        for s in steps:
            for p, g in zip(params, grads[s]):
                p.grad = swiftnn.from_numpy(g.copy())
            opt.step()

    a = [swiftnn.from_numpy(x.copy()).requires_grad_() for x in init]
    opt_a = OPTIMIZERS[kind]([{"params": [a[0]]}, {"params": [a[1]], "lr": 0.05}], **options)
    run(a, opt_a, range(3))
    path = tmp_path / "ckpt.safetensors"
    swiftnn.save({"model": {f"p{i}": p.detach() for i, p in enumerate(a)}, "optimizer": opt_a.state_dict(), "epoch": 3}, path)
    run(a, opt_a, range(3, 6))

    ckpt = swiftnn.load(path)
    assert ckpt["epoch"] == 3
    b = [ckpt["model"][f"p{i}"].clone().requires_grad_() for i in range(2)]
    opt_b = OPTIMIZERS[kind]([{"params": [b[0]]}, {"params": [b[1]]}], **options)
    opt_b.load_state_dict(ckpt["optimizer"])
    assert opt_b.param_groups[1]["lr"] == 0.05
    run(b, opt_b, range(3, 6))
    for pa, pb in zip(a, b):
        assert np.array_equal(pa.detach().numpy(), pb.detach().numpy())


def test_load_state_dict_errors():
    p = swiftnn.zeros(2, requires_grad=True)
    q = swiftnn.zeros(3, requires_grad=True)
    adam = optim.Adam([p, q], lr=0.1)
    p.grad, q.grad = swiftnn.ones(2), swiftnn.ones(3)
    adam.step()
    sd = adam.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam([{"params": [p]}, {"params": [q]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam([p]).load_state_dict(sd)
    with pytest.raises(swiftnn.ShapeError, match=r"state 'exp_avg' of parameter 0 has shape \[2\]; expected \[3\]"):
        optim.Adam([q, p]).load_state_dict(sd)
    with pytest.raises(swiftnn.InvalidArgumentError, match="SGD keeps no state 'step'"):
        optim.SGD([p, q], momentum=0.9).load_state_dict(sd)
    with pytest.raises(NotImplementedError, match="only 'lr' can change"):
        optim.Adam([p, q], eps=1e-3).load_state_dict(sd)


@pytest.mark.parametrize("name,kind,attrs", [c for c in CASES if c[1] == "clip"], ids=lambda v: v if isinstance(v, str) else "")
def test_clip_grad_norm_matches_pytorch(name, kind, attrs):
    before = handles()
    params = []
    for j in range(3):
        p = swiftnn.from_numpy(TENSORS[f"{name}.param{j}"]).requires_grad_()
        g = TENSORS.get(f"{name}.grad{j}")
        if g is not None:
            p.grad = swiftnn.from_numpy(g)
        params.append(p)
    total = optim.clip_grad_norm_(params, float(attrs["max_norm"]), norm_type=float(attrs["norm_type"]))
    assert total.shape == ()
    assert_close(total.numpy(), TENSORS[f"{name}.total"], f"{name} total norm")
    for j, p in enumerate(params):
        e = TENSORS.get(f"{name}.clipped{j}")
        if e is None:
            assert p.grad is None
        else:
            assert_close(p.grad.numpy(), e, f"{name} clipped grad {j}")
    del params, p, total
    assert handles() == before, f"{name} leaked handles"


@pytest.mark.parametrize("name,kind,attrs", [c for c in CASES if c[1] in SCHEDULERS], ids=lambda v: v if isinstance(v, str) else "")
def test_scheduler_sequence_matches_pytorch(name, kind, attrs):
    before = handles()
    lrs = _value("lr", attrs["lr"])
    lrs = lrs if isinstance(lrs, list) else [lrs]
    dummies = [swiftnn.zeros(1, requires_grad=True) for _ in lrs]
    opt = optim.SGD([{"params": [d], "lr": lr} for d, lr in zip(dummies, lrs)])
    sched = SCHEDULERS[kind](opt, **{k: _value(k, v) for k, v in attrs.items() if k != "lr"})
    assert sched.base_lrs == lrs
    seq = [[g["lr"] for g in opt.param_groups]]
    for step in range(30):
        opt.step()
        sched.step()
        assert sched.last_epoch == step + 1
        seq.append(sched.get_last_lr())
        assert seq[-1] == [g["lr"] for g in opt.param_groups]
    assert_close(np.asarray(seq, dtype=np.float32), TENSORS[f"{name}.lr"], f"{name} lr sequence")
    del sched, opt, dummies
    assert handles() == before, f"{name} leaked handles"


def test_every_golden_case_ran():
    kinds = [k for _, k, _ in CASES]
    assert sum(k in OPTIMIZERS for k in kinds) == 16
    assert kinds.count("clip") == 5
    assert sum(k in SCHEDULERS for k in kinds) == 7


# ---- behaviour -------------------------------------------------------------------------------

def quadratic_fit(make, steps=300):
    target = swiftnn.tensor([1.5, -2.0, 0.25, 3.0])
    x = swiftnn.zeros(4, requires_grad=True)
    opt = make([x])
    loss = None
    for _ in range(steps):
        opt.zero_grad()
        d = x - target
        loss = (d * d).sum()
        loss.backward()
        opt.step()
    return x.detach().numpy().copy(), loss.item(), target.numpy().copy()  # copies hold no handle


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.5),
                                  lambda p: optim.Adam(p, lr=0.05),
                                  lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.0)])
def test_optimizers_converge_on_a_quadratic(make):
    before = handles()
    x, loss, target = quadratic_fit(make)
    assert loss < 1e-4
    np.testing.assert_allclose(x, target, atol=1e-2)
    assert handles() == before


def test_lr_is_readable_and_settable_through_param_groups():
    p = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1
    opt.param_groups[0]["lr"] = 0.5
    assert opt.param_groups[0]["lr"] == 0.5
    p.grad = swiftnn.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 1.5])
    with pytest.raises(NotImplementedError):
        opt.param_groups[0]["weight_decay"] = 0.1  # momentum and beta1 may change (OneCycleLR), not this
    opt.param_groups[0]["weight_decay"] = 0  # unchanged value: fine
    opt.param_groups[0]["note"] = "free-form keys are kept"
    assert opt.param_groups[0]["note"] == "free-form keys are kept"
    with pytest.raises(ValueError):
        opt.param_groups[0]["lr"] = -1.0
    assert set(opt.param_groups[0]) >= {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"}


def test_param_groups_take_defaults_and_add_param_group():
    a, b, c = (swiftnn.tensor([1.0], requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.1}], lr=0.01, betas=(0.8, 0.9))
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    assert opt.param_groups[1]["betas"] == (0.8, 0.9)
    opt.add_param_group({"params": [c], "amsgrad": True})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["lr"] == 0.01
    with pytest.raises(ValueError):
        opt.add_param_group({"params": [a]})  # already optimized
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.005, 0.05, 0.005]
    assert opt.param_groups[1]["initial_lr"] == 0.1


def test_updates_are_in_place_and_parameters_without_grad_are_skipped():
    p = swiftnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    q = swiftnn.tensor([4.0, 5.0], requires_grad=True)
    view = p.detach()
    opt = optim.SGD([p, q], lr=0.5)
    p.grad = swiftnn.tensor([2.0, 2.0, 2.0])
    g = p.grad
    opt.step()
    np.testing.assert_allclose(view.numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(q.detach().numpy(), [4.0, 5.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_allclose(g.numpy(), [0.0, 0.0, 0.0])  # zeroed in place
    opt.zero_grad()
    assert p.grad is None


def test_constructor_errors_follow_pytorch():
    p = swiftnn.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError):
        optim.SGD(p)  # a Tensor, not an iterable of Tensors
    with pytest.raises(ValueError):
        optim.SGD([])
    with pytest.raises(TypeError):
        optim.SGD([p, 3.0])
    with pytest.raises(TypeError):
        optim.SGD([{"params": {p}}])  # sets have no order
    with pytest.raises(ValueError):
        optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError):
        optim.SGD([p], nesterov=True)
    with pytest.raises(ValueError):
        optim.Adam([p], betas=(1.0, 0.999))
    with pytest.raises(ValueError):
        optim.SGD([p * p])  # non-leaf
    with pytest.raises(NotImplementedError):
        optim.Adam([p], differentiable=True)
    with pytest.raises(ValueError):
        lr_scheduler.LinearLR(optim.SGD([p]), start_factor=0)
    with pytest.raises(ValueError):
        lr_scheduler.StepLR(optim.SGD([p]), step_size=0)
    with pytest.raises(TypeError):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(NotImplementedError):
        lr_scheduler.StepLR(optim.SGD([p]), step_size=1).step(epoch=3)


def test_step_closure_and_named_parameters():
    p = swiftnn.tensor([3.0], requires_grad=True)
    opt = optim.SGD([("weight", p)], lr=0.25)
    assert opt.param_groups[0]["param_names"] == ["weight"]

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.detach().numpy(), [1.5])


def test_clip_grad_norm_options():
    p = swiftnn.tensor([0.0, 0.0], requires_grad=True)
    assert optim.clip_grad_norm_(p, 1.0).item() == 0.0  # a single Tensor, no gradient
    p.grad = swiftnn.tensor([3.0, 4.0])
    assert optim.clip_grad_norm_([p], float("inf")).item() == 5.0
    assert math.isclose(optim.clip_grad_norm_(iter([p]), 1.0).item(), 5.0, rel_tol=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    p.grad = swiftnn.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError):
        optim.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(np.isnan(p.grad.numpy()), [True, False])  # untouched
    with pytest.raises(ValueError):
        optim.clip_grad_norm_([p], 1.0, norm_type=0)


def test_wrong_kind_handles_fail_cleanly():
    from swiftnn._ffi import SNN_ERR_INVALID_ARGUMENT, SNN_ERR_INVALID_HANDLE
    from swiftnn._lib import lib
    p = swiftnn.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    assert lib.snn_tensor_free(opt._h) == SNN_ERR_INVALID_HANDLE
    assert lib.snn_tensor_free(sched._h) == SNN_ERR_INVALID_HANDLE
    assert lib.snn_optimizer_free(p._h) == SNN_ERR_INVALID_HANDLE
    assert lib.snn_optimizer_step(sched._h) == SNN_ERR_INVALID_HANDLE
    assert lib.snn_lr_scheduler_step(opt._h) == SNN_ERR_INVALID_HANDLE
    assert lib.snn_optimizer_step(None) == SNN_ERR_INVALID_ARGUMENT
    assert lib.snn_optimizer_step(ctypes.c_void_p(0x1234)) == SNN_ERR_INVALID_HANDLE
    sched.step()                                     # both still alive
    opt.step()


def test_optimizer_keeps_parameters_and_scheduler_keeps_optimizer():
    before = handles()
    p = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    view = p.detach()
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    p.grad = swiftnn.tensor([1.0, 1.0])
    del p  # the engine optimizer holds the parameter
    gc.collect()
    opt.step()
    np.testing.assert_allclose(view.numpy(), [0.0, 1.0])
    sched_h = sched._h
    del opt  # the Python scheduler keeps its optimizer (and the engine's holds the engine's)
    gc.collect()
    sched.step()
    assert sched.get_last_lr() == [0.5]
    del sched, view
    assert handles() == before
    assert sched_h  # the handle value was real


def test_rmsprop_adagrad_validate_and_keep_state_from_construction():
    p = swiftnn.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="invalid alpha value -1.0"):
        optim.RMSprop([p], alpha=-1)
    with pytest.raises(ValueError, match="invalid lr_decay value -0.5"):
        optim.Adagrad([p], lr_decay=-0.5)
    # PyTorch's Adagrad has state before any step: the accumulator starts at its initial value.
    state = optim.Adagrad([p], initial_accumulator_value=0.25).state_dict()["state"]
    assert sorted(state[0]) == ["step", "sum"] and state[0]["sum"].tolist() == [0.25, 0.25]
    assert optim.RMSprop([p]).state_dict()["state"] == {}
