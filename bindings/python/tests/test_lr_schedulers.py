"""LambdaLR, MultiplicativeLR, ExponentialLR, OneCycleLR and ReduceLROnPlateau (the engine's,
through the Python wrappers) against the lr (and momentum / beta1) sequences PyTorch set in each
case of Tests/golden/schedulers.json (tools/gen_golden_schedulers.py; the Swift and C tests replay
the same cases); then state_dict round trips that resume mid-run, errors, and the lr_lambda
callback (exceptions, release)."""
import json
import math
import os

import numpy as np
import pytest

import swiftnn
from swiftnn import optim
from swiftnn.optim import lr_scheduler
from conftest import GOLDEN

GOLD = json.load(open(os.path.join(GOLDEN, "schedulers.json")))
CASES = {c["name"]: c for c in GOLD["cases"]}
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop}


def make_lambda(expr):
    return eval(f"lambda epoch: {expr}", {"min": min, "max": max, "math": math})


def build(case):
    params = [swiftnn.zeros(2, requires_grad=True) for _ in case["lrs"]]
    opt = OPTIMIZERS[case["optimizer"]]([{"params": [p], "lr": lr} for p, lr in zip(params, case["lrs"])],
                                        **case["optimizer_kwargs"])
    kwargs = dict(case["kwargs"])
    if "lr_lambda" in kwargs:
        e = kwargs["lr_lambda"]
        kwargs["lr_lambda"] = [make_lambda(x) for x in e] if isinstance(e, list) else make_lambda(e)
    return params, opt, getattr(lr_scheduler, case["scheduler"])(opt, **kwargs)


def momentum_of(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def advance(case, params, opt, sched, i):
    for p in params:
        p.grad = swiftnn.ones(2)
    opt.step()
    if case["scheduler"] == "ReduceLROnPlateau":
        sched.step(case["metrics"][i])
    else:
        sched.step()


def steps_of(case):
    # OneCycleLR allows total_steps - 1 steps after the one made by its construction.
    return case["steps"] - 1 if case["scheduler"] == "OneCycleLR" else case["steps"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_matches_pytorch(name):
    case = CASES[name]
    params, opt, sched = build(case)
    lrs, moms = [[g["lr"] for g in opt.param_groups]], [momentum_of(opt)]
    for i in range(steps_of(case)):
        advance(case, params, opt, sched, i)
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momentum_of(opt))
        assert sched.get_last_lr() == lrs[-1]
    np.testing.assert_allclose(lrs, case["lr"], rtol=1e-12, atol=0, err_msg=f"{name}: lr")
    np.testing.assert_allclose(moms, case["momentum"], rtol=1e-12, atol=0, err_msg=f"{name}: momentum")
    # The public keys of PyTorch's state_dict, so that a checkpoint reads the same in both.
    assert sorted(k for k in sched.state_dict() if not k.startswith("_")) == case["state_dict_keys"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_resumes(name):
    """Stop half-way, rebuild optimizer and scheduler, load both state_dicts, continue: the
    rest of the sequence is PyTorch's."""
    case = CASES[name]
    params, opt, sched = build(case)
    half = steps_of(case) // 2
    for i in range(half):
        advance(case, params, opt, sched, i)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    params2, opt2, sched2 = build(case)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    for g2, g in zip(opt2.param_groups, opt.param_groups):  # restored by optimizer.load_state_dict
        assert g2["lr"] == g["lr"] and g2.get("momentum") == g.get("momentum") and g2.get("betas") == g.get("betas")
    for i in range(half, steps_of(case)):
        advance(case, params2, opt2, sched2, i)
        np.testing.assert_allclose([g["lr"] for g in opt2.param_groups], case["lr"][i + 1], rtol=1e-12, atol=0,
                                   err_msg=f"{name}: lr after resuming, step {i + 1}")
        np.testing.assert_allclose(momentum_of(opt2), case["momentum"][i + 1], rtol=1e-12, atol=0)


def test_one_cycle_momentum_reaches_the_engine():
    """beta1 set by OneCycleLR changes Adam's update (the engine's, not a Python copy)."""
    def first_update(beta1):
        p = swiftnn.zeros(1, requires_grad=True)
        opt = optim.Adam([p], lr=0.1, betas=(beta1, 0.999))
        p.grad = swiftnn.ones(1)
        opt.step()
        p.grad = swiftnn.full((1,), -3.0)
        opt.step()
        return p.detach().numpy().copy()
    p = swiftnn.zeros(1, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.999))
    lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, base_momentum=0.5, max_momentum=0.5)
    assert opt.param_groups[0]["betas"] == (0.5, 0.999)
    opt.param_groups[0]["lr"] = 0.1
    p.grad = swiftnn.ones(1)
    opt.step()
    p.grad = swiftnn.full((1,), -3.0)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), first_update(0.5), rtol=1e-6)
    assert not np.allclose(first_update(0.5), first_update(0.9))


def test_sgd_momentum_set_after_steps_starts_a_buffer():
    """SGD(momentum=0) stepped, then momentum 0.5 (as OneCycleLR may set it): the next step
    starts the buffer at the gradient and the one after uses it, as PyTorch's SGD does:
    p = -0.1 (plain), -0.2 (buf = g), -0.35 (buf = 0.5 * 1 + 1)."""
    p = swiftnn.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    seen = []
    for k in range(3):
        if k == 1:
            opt.param_groups[0]["momentum"] = 0.5
        p.grad = swiftnn.ones(1)
        opt.step()
        seen.append(p.detach().numpy()[0])
    np.testing.assert_allclose(seen, [-0.1, -0.2, -0.35], rtol=1e-6)


def test_errors():
    p = swiftnn.zeros(2, requires_grad=True)
    sgd = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(sgd, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        lr_scheduler.ReduceLROnPlateau(sgd, mode="avg")
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(sgd, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        lr_scheduler.OneCycleLR(sgd, max_lr=0.1, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        lr_scheduler.LambdaLR(sgd, [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.ExponentialLR(object(), gamma=0.5)
    s = lr_scheduler.OneCycleLR(optim.SGD([p], lr=0.1, momentum=0.9), max_lr=0.1, total_steps=2)
    s.step()
    s.step()  # PyTorch allows total_steps steps after construction, and refuses the next
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        s.step()
    # The engine refuses a momentum it cannot cycle, naming the optimizer.
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad([p], lr=0.1), max_lr=0.1, total_steps=5)
    with pytest.raises(ValueError, match="RMSprop.setMomentum: RMSprop does not support setting its momentum"):
        lr_scheduler.OneCycleLR(optim.RMSprop([p], lr=0.1), max_lr=0.1, total_steps=5)


def test_lambda_exception_propagates_and_changes_nothing():
    """The engine calls lr_lambda through a ctypes callback: an exception it raises becomes the
    engine's failure signal (NaN), step() re-raises it, and neither the lr nor the epoch moves."""
    p = swiftnn.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    fail = {"at": 2}

    def factor(epoch):
        if epoch == fail["at"]:
            raise KeyError(f"no factor for epoch {epoch}")
        return 0.5

    sched = lr_scheduler.MultiplicativeLR(opt, factor)
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.05
    with pytest.raises(KeyError, match="no factor for epoch 2"):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.05 and sched.last_epoch == 1
    fail["at"] = None
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.025 and sched.last_epoch == 2
    # A function returning a non-number fails the same way (float() raises).
    with pytest.raises(ValueError, match="could not convert"):
        lr_scheduler.LambdaLR(opt, lambda epoch: "fast")
    with pytest.raises(ZeroDivisionError):
        lr_scheduler.LambdaLR(opt, lambda epoch: 1 / epoch)  # the construction's epoch 0


def test_lambda_functions_are_dropped_with_the_scheduler():
    """The engine's release callback drops the functions when the scheduler is freed."""
    import gc
    import weakref
    from swiftnn.optim import lr_scheduler_host

    class Warmup:
        def __init__(self):
            self.steps = 5

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.steps)

    p = swiftnn.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    fn = Warmup()
    alive = weakref.ref(fn)
    before = set(lr_scheduler_host._lambdas)
    sched = lr_scheduler.LambdaLR(opt, fn)
    (key,) = set(lr_scheduler_host._lambdas) - before
    assert lr_scheduler_host._lambdas[key] == [fn]
    assert sched.state_dict()["lr_lambdas"] == [{"steps": 5}]
    del sched, fn
    gc.collect()
    assert key not in lr_scheduler_host._lambdas and alive() is None


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_copies_continue_the_schedule(name, how):
    """deepcopy and pickle copy the optimizer too (as PyTorch's) and the engine scheduler's
    state; both runs then continue with PyTorch's sequence."""
    import copy
    import pickle
    case = CASES[name]
    if how == "pickle" and "lr_lambda" in case["kwargs"]:
        pytest.skip("a lambda cannot be pickled (nor in PyTorch)")
    params, opt, sched = build(case)
    half = steps_of(case) // 2
    for i in range(half):
        advance(case, params, opt, sched, i)
    twin = copy.deepcopy(sched) if how == "deepcopy" else pickle.loads(pickle.dumps(sched))
    assert twin.optimizer is not opt and twin.last_epoch == half
    assert twin.get_last_lr() == sched.get_last_lr()
    twin_params = [g["params"][0] for g in twin.optimizer.param_groups]
    for i in range(half, steps_of(case)):
        advance(case, params, opt, sched, i)
        advance(case, twin_params, twin.optimizer, twin, i)
        for o in (opt, twin.optimizer):
            np.testing.assert_allclose([g["lr"] for g in o.param_groups], case["lr"][i + 1], rtol=1e-12, atol=0)
            np.testing.assert_allclose(momentum_of(o), case["momentum"][i + 1], rtol=1e-12, atol=0)


def test_engine_schedulers_state_dict_round_trip():
    """StepLR, MultiStepLR, CosineAnnealingLR and LinearLR keep their state in the engine too:
    a state_dict loaded into a scheduler built with the same arguments continues identically,
    and one with other arguments is refused by name."""
    def make(cls, **kw):
        p = swiftnn.zeros(1, requires_grad=True)
        return cls(optim.SGD([p], lr=0.5), **kw)
    for cls, kw in [(lr_scheduler.StepLR, dict(step_size=2, gamma=0.5)),
                    (lr_scheduler.MultiStepLR, dict(milestones=[2, 5, 5], gamma=0.3)),
                    (lr_scheduler.CosineAnnealingLR, dict(T_max=4, eta_min=0.01)),
                    (lr_scheduler.LinearLR, dict(start_factor=0.25, total_iters=4))]:
        a = make(cls, **kw)
        for _ in range(3):
            a.step()
        sd = a.state_dict()
        assert sd["last_epoch"] == 3 and sd["base_lrs"] == [0.5]
        b = make(cls, **kw)
        b.optimizer.param_groups[0]["lr"] = a.optimizer.param_groups[0]["lr"]
        b.load_state_dict(sd)
        for _ in range(4):
            a.step()
            b.step()
            assert b.get_last_lr() == a.get_last_lr() and b.last_epoch == a.last_epoch
    other = make(lr_scheduler.StepLR, step_size=3, gamma=0.5)
    with pytest.raises(ValueError, match="saved step_size 2 differs"):
        other.load_state_dict(make(lr_scheduler.StepLR, step_size=2, gamma=0.5).state_dict())


def test_plateau_leaves_initial_lr_to_the_next_scheduler():
    """PyTorch's ReduceLROnPlateau does not set initial_lr: a scheduler attached afterwards
    starts from the lr it finds."""
    p = swiftnn.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    lr_scheduler.ReduceLROnPlateau(opt)
    assert "initial_lr" not in opt.param_groups[0]
    opt.param_groups[0]["lr"] = 0.05
    step = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert step.base_lrs == [0.05] and step.state_dict()["base_lrs"] == [0.05]
