"""Elementwise ops by hand: values and gradients you can check in your head, the Python
spellings (functions, methods, operators, in-place activations), and errors that raise
swiftnn exceptions naming the function."""
import gc
import math

import numpy as np
import pytest

import swiftnn
from swiftnn import elementwise as F


def vals(t):
    return t.numpy().tolist()


def test_values_by_hand():
    assert vals(swiftnn.relu(swiftnn.tensor([-1.0, 2.0]))) == [0.0, 2.0]
    assert vals(swiftnn.exp(swiftnn.tensor(0.0))) == 1.0
    assert vals(swiftnn.log(swiftnn.tensor([1.0]))) == [0.0]
    assert vals(swiftnn.sqrt(swiftnn.tensor([4.0, 9.0]))) == [2.0, 3.0]
    assert vals(abs(swiftnn.tensor([-3.0, 3.0]))) == [3.0, 3.0]
    assert vals(-swiftnn.tensor([1.0, -2.0])) == [-1.0, 2.0]
    assert vals(swiftnn.sigmoid(swiftnn.tensor([0.0]))) == [0.5]
    assert vals(swiftnn.tanh(swiftnn.tensor([0.0]))) == [0.0]
    assert vals(F.leaky_relu(swiftnn.tensor([-2.0, 3.0]), 0.5)) == [-1.0, 3.0]
    assert vals(F.relu6(swiftnn.tensor([-1.0, 3.0, 7.0]))) == [0.0, 3.0, 6.0]
    assert vals(swiftnn.tensor([-2.0, 0.5, 2.0]).clamp(min=-1, max=1)) == [-1.0, 0.5, 1.0]
    assert vals(swiftnn.tensor([-2.0, 2.0]).clamp(min=0)) == [0.0, 2.0]
    assert vals(swiftnn.tensor([-2.0, 2.0]).clamp(max=0)) == [-2.0, 0.0]
    assert vals(swiftnn.tensor([1.0, 2.0, 3.0]) ** 2) == [1.0, 4.0, 9.0]
    assert vals(2 ** swiftnn.tensor([0.0, 1.0, 3.0])) == [1.0, 2.0, 8.0]
    assert vals(swiftnn.tensor([2.0, 3.0]).pow(swiftnn.tensor([3.0, 2.0]))) == [8.0, 9.0]
    assert vals(swiftnn.pow(swiftnn.tensor([[2.0], [3.0]]), swiftnn.tensor([1.0, 2.0]))) == [[2.0, 4.0], [3.0, 9.0]]
    assert abs(vals(swiftnn.exp(swiftnn.tensor(1.0))) - math.e) < 1e-6


def test_nan_and_inf_as_pytorch():
    x = swiftnn.tensor([-1.0, 0.0, float("inf"), float("nan")])
    log = swiftnn.log(x).numpy()
    assert math.isnan(log[0]) and log[1] == -math.inf and log[2] == math.inf and math.isnan(log[3])
    sq = swiftnn.sqrt(x).numpy()
    assert math.isnan(sq[0]) and sq[1] == 0 and sq[2] == math.inf and math.isnan(sq[3])
    r = swiftnn.relu(x).numpy()
    assert r[0] == 0 and math.isnan(r[3])
    assert vals(swiftnn.exp(swiftnn.tensor([100.0, -200.0]))) == [math.inf, 0.0]
    assert np.isnan(swiftnn.tensor([1.0, 2.0]).clamp(min=float("nan")).numpy()).all()


def test_gradients_by_hand():
    x = swiftnn.tensor([-1.0, 2.0], requires_grad=True)
    swiftnn.relu(x).sum().backward()
    assert vals(x.grad) == [0.0, 1.0]

    x = swiftnn.tensor([3.0], requires_grad=True)
    (x ** 2).sum().backward()                  # d/dx x^2 = 2x
    assert vals(x.grad) == [6.0]

    x = swiftnn.tensor([0.0], requires_grad=True)
    swiftnn.exp(x).sum().backward()            # d/dx e^x = e^x = 1 at 0
    assert vals(x.grad) == [1.0]

    x = swiftnn.tensor([0.0], requires_grad=True)
    swiftnn.sigmoid(x).sum().backward()        # s (1 - s) = 1/4 at 0
    assert vals(x.grad) == [0.25]

    x = swiftnn.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.clamp(min=0, max=1).sum().backward()     # bounds inclusive, as PyTorch
    assert vals(x.grad) == [0.0, 1.0, 1.0]

    x = swiftnn.tensor([0.0, 3.0, 6.0], requires_grad=True)
    F.relu6(x).sum().backward()                # hardtanh: strict inside (0, 6)
    assert vals(x.grad) == [0.0, 1.0, 0.0]

    e = swiftnn.tensor([3.0], requires_grad=True)
    (2 ** e).sum().backward()                  # d/de 2^e = 2^e ln 2
    assert abs(vals(e.grad)[0] - 8 * math.log(2)) < 1e-5


def test_methods_and_in_place_activations():
    x = swiftnn.tensor([-1.0, 4.0])
    assert vals(x.relu()) == [0.0, 4.0]
    assert vals(x.abs().sqrt()) == [1.0, 2.0]
    assert vals(x.neg()) == [1.0, -4.0]
    y = swiftnn.tensor([-1.0, 4.0])
    same = F.relu(y, inplace=True)
    assert same is y and vals(y) == [0.0, 4.0]
    leaf = swiftnn.tensor([-1.0], requires_grad=True)
    with pytest.raises(swiftnn.AutogradError, match="relu"):
        F.relu(leaf, inplace=True)


def test_errors_name_the_function():
    ints = swiftnn.tensor([1, 2, 3])
    assert swiftnn.abs(-ints).tolist() == [1, 2, 3]  # integer abs and neg exist, as in PyTorch
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid"):  # PyTorch's int-to-float ops
        assert getattr(swiftnn, name)(ints).dtype == swiftnn.float32
    with pytest.raises(swiftnn.DTypeError, match="^relu: .*int64.*float32"):
        swiftnn.relu(ints)
    with pytest.raises(swiftnn.DTypeError, match="^leaky_relu: "):
        F.leaky_relu(ints)
    with pytest.raises(swiftnn.DTypeError, match="^relu6: "):
        F.relu6(ints)
    assert (ints ** 2).tolist() == [1, 4, 9] and (ints ** 2).dtype is swiftnn.int64  # integer pow, as PyTorch
    with pytest.raises(swiftnn.InvalidArgumentError, match="^pow: Integers to negative integer powers are not allowed"):
        ints ** -1
    with pytest.raises(swiftnn.DTypeError, match="^clamp: "):
        ints.clamp(min=0)
    with pytest.raises(swiftnn.InvalidArgumentError, match="^clamp: at least one of min or max"):
        swiftnn.clamp(swiftnn.tensor([1.0]))
    with pytest.raises(swiftnn.ShapeError, match=r"^pow: shapes \[2\] and \[3\] cannot be broadcast"):
        swiftnn.tensor([1.0, 2.0]) ** swiftnn.tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="swiftnn.exp"):
        swiftnn.exp(1.0)
    with pytest.raises(TypeError, match="swiftnn.pow"):
        swiftnn.pow(2, 3)


def test_no_handles_leak():
    gc.collect()  # count only what this test leaves alive
    before = swiftnn.live_handles()
    x = swiftnn.tensor([0.5, 1.5], requires_grad=True)
    y = (swiftnn.tanh(x) ** 2 + swiftnn.exp(-x).clamp(max=1) + 2 ** x).sum()
    y.backward()
    del x, y
    gc.collect()
    assert swiftnn.live_handles() == before
