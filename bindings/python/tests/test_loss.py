"""swiftnn.nn.functional losses from Python: ln C for uniform logits, the fused gradient,
ignore_index, PyTorch's argument names and legacy arguments, errors, a small model that learns,
and garbage arguments in a subprocess (a crash would fail the test, not kill the runner)."""
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftnn
import swiftnn.nn.functional as F


def test_cross_entropy_of_uniform_logits_is_ln_c():
    logits = swiftnn.zeros(4, 10, requires_grad=True)
    target = swiftnn.tensor([0, 3, 9, 3])
    loss = F.cross_entropy(logits, target)
    assert loss.item() == pytest.approx(math.log(10), rel=1e-6)
    loss.backward()
    expected = np.full((4, 10), 0.1 / 4, np.float32)
    expected[np.arange(4), [0, 3, 9, 3]] -= 1 / 4
    np.testing.assert_allclose(logits.grad.numpy(), expected, atol=1e-7)
    assert F.cross_entropy(logits, target, reduction="none").shape == (4,)


def test_ignore_index_and_reductions():
    logits = swiftnn.tensor([[0.0, 0.0], [5.0, 1.0]])
    loss = F.cross_entropy(logits, swiftnn.tensor([-100, 1]))
    assert loss.item() == pytest.approx(4 + math.log1p(math.exp(-4)), rel=1e-6)
    assert math.isnan(F.cross_entropy(logits, swiftnn.tensor([-100, -100])).item())
    assert F.nll_loss(logits, swiftnn.tensor([1, 0]), ignore_index=0, reduction="sum").item() == 0.0
    # PyTorch's deprecated size_average / reduce pair.
    assert F.mse_loss(swiftnn.ones(2), swiftnn.zeros(2), reduce=True, size_average=False).item() == 2.0
    assert F.mse_loss(swiftnn.ones(2), swiftnn.zeros(2), reduce=False).shape == (2,)


def test_4d_cross_entropy_matches_log_softmax_then_nll():
    x = swiftnn.randn(2, 3, 4, 5)
    t = swiftnn.from_numpy(np.random.default_rng(0).integers(0, 3, (2, 4, 5)))
    fused = F.cross_entropy(x, t, reduction="none").numpy()
    composed = F.nll_loss(F.log_softmax(x, dim=1), t, reduction="none").numpy()
    np.testing.assert_allclose(fused, composed, rtol=1e-5, atol=1e-6)


def test_loss_errors():
    logits = swiftnn.zeros(2, 5)
    with pytest.raises(IndexError, match=r"target 7 .* 5 classes"):
        F.cross_entropy(logits, swiftnn.tensor([1, 7]))
    with pytest.raises(TypeError):
        F.cross_entropy(logits, swiftnn.tensor([1.0, 2.0]))
    with pytest.raises(swiftnn.ShapeError):
        F.cross_entropy(logits, swiftnn.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(logits, swiftnn.tensor([1, 2]), reduction="avg")
    with pytest.raises(ValueError):
        F.cross_entropy(logits, swiftnn.tensor([1, 2]), label_smoothing=1.5)
    with pytest.raises(swiftnn.ShapeError, match=r"nll_loss: weight has shape \[4\] but input \[2, 5\] has 5 classes"):
        F.nll_loss(logits, swiftnn.tensor([1, 2]), weight=swiftnn.ones(4))
    with pytest.raises(swiftnn.DTypeError, match="cross_entropy: weight has dtype float64 but input has float32"):
        F.cross_entropy(logits, swiftnn.tensor([1, 2]), weight=swiftnn.ones(5, dtype=swiftnn.float64))


def test_class_weights_by_hand():
    """PyTorch's weighted mean: sum_j w[t_j] loss_j / sum_j w[t_j] over targets not ignored."""
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.2, 0.3, 0.1]], np.float32)
    t, w = np.array([2, 0, -100]), np.array([0.5, 1.0, 3.0], np.float32)
    lse = np.log(np.exp(x).sum(1))
    per = np.array([w[2] * (lse[0] - x[0, 2]), w[0] * (lse[1] - x[1, 0])])
    got = F.cross_entropy(swiftnn.from_numpy(x), swiftnn.tensor(t), weight=swiftnn.from_numpy(w))
    assert got.item() == pytest.approx(per.sum() / (w[2] + w[0]), rel=1e-6)
    m = swiftnn.nn.CrossEntropyLoss(weight=swiftnn.from_numpy(w), reduction="none")
    np.testing.assert_allclose(m(swiftnn.from_numpy(x), swiftnn.tensor(t)).numpy(), [per[0], per[1], 0], rtol=1e-6)
    nll = swiftnn.nn.NLLLoss(weight=swiftnn.from_numpy(w), reduction="sum")(swiftnn.from_numpy(x), swiftnn.tensor(t))
    assert nll.item() == pytest.approx(-(w[2] * x[0, 2] + w[0] * x[1, 0]), rel=1e-6)


def test_functional_reexports_the_activations():
    assert F.relu is swiftnn.relu and F.tanh is swiftnn.tanh and F.sigmoid is swiftnn.sigmoid
    assert F.relu(swiftnn.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]


def test_softmax_without_dim_warns_and_uses_torch_rule():
    x = swiftnn.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), [1, 1], rtol=1e-6)


def test_softmax_regression_learns_separable_classes():
    rng = np.random.default_rng(1)
    centers = np.array([[3, 0], [-3, 0], [0, 3]], np.float32)
    labels = rng.integers(0, 3, 60)
    x = swiftnn.from_numpy(centers[labels] + rng.standard_normal((60, 2)).astype(np.float32) * 0.5)
    y = swiftnn.from_numpy(labels)
    w = swiftnn.zeros(2, 3, requires_grad=True)
    first = None
    for _ in range(50):
        loss = F.cross_entropy(x @ w, y)
        first = first or loss.item()
        loss.backward()
        w = (w - w.grad * 0.5).detach().requires_grad_()
    assert loss.item() < first / 5
    assert (swiftnn.argmax(x @ w, 1).numpy() == labels).mean() > 0.95


GARBAGE = textwrap.dedent("""
    import ctypes, swiftnn
    from swiftnn._lib import lib
    out, idx = ctypes.c_void_p(), ctypes.c_void_p()
    x = swiftnn.randn(2, 3); t = swiftnn.tensor([0, 1])
    dead = swiftnn.randn(2); h = dead._h; del dead
    calls = [
        lambda: lib.snn_tensor_max_dim(ctypes.byref(out), ctypes.byref(idx), h, 0, False),
        lambda: lib.snn_tensor_max_dim(None, None, x._h, 0, False),
        lambda: lib.snn_tensor_argmax(ctypes.byref(out), 12345, 0, True, False),
        lambda: lib.snn_tensor_softmax(ctypes.byref(out), x._h, 2**62),
        lambda: lib.snn_tensor_logsumexp(ctypes.byref(out), x._h, None, 2**40, False),
        lambda: lib.snn_tensor_var(ctypes.byref(out), x._h, None, 0, float("inf"), False),
        lambda: lib.snn_loss_cross_entropy(ctypes.byref(out), x._h, t._h, -1, -100, 0.0),
        lambda: lib.snn_loss_cross_entropy(ctypes.byref(out), x._h, t._h, 2**31 - 1, 2**63 - 1, float("nan")),
        lambda: lib.snn_loss_cross_entropy(ctypes.byref(out), t._h, x._h, 1, -100, 0.0),
        lambda: lib.snn_loss_nll(ctypes.byref(out), x._h, swiftnn.tensor([5, -7])._h, 1, -100),
        lambda: lib.snn_loss_mse(ctypes.byref(out), x._h, None, 1),
    ]
    for c in calls:
        assert c() != 0, "garbage accepted"
    assert swiftnn.live_handles() == 2, swiftnn.live_handles()
    print("ok")
""")


def test_garbage_arguments_return_errors_without_crashing():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(swiftnn.__file__))))
    r = subprocess.run([sys.executable, "-c", GARBAGE], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
