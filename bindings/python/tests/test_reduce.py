"""swiftnn.max/min/amax/argmax/softmax/logsumexp/var/std from Python: hand-checkable values,
PyTorch's calling conventions (named tuples, Tensor methods, unbiased=) and error types."""
import math

import numpy as np
import pytest

import swiftnn


def test_softmax_of_zero_and_ln3():
    x = swiftnn.tensor([0.0, math.log(3.0)])
    np.testing.assert_allclose(swiftnn.softmax(x, 0).numpy(), [0.25, 0.75], rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax(-1).numpy(), np.log([0.25, 0.75]), rtol=1e-6)
    assert swiftnn.logsumexp(x, 0).item() == pytest.approx(math.log(4.0), rel=1e-6)


def test_softmax_is_stable_and_any_dim_sums_to_one():
    x = swiftnn.tensor([[1000.0, -1000.0], [0.0, 1000.0]])
    np.testing.assert_array_equal(x.softmax(1).numpy(), [[1, 0], [0, 1]])
    y = swiftnn.randn(3, 9, 10).softmax(dim=1)
    np.testing.assert_allclose(y.numpy().sum(axis=1), np.ones((3, 10)), rtol=1e-5)


def test_max_returns_values_and_indices_like_torch():
    x = swiftnn.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 0.0, 5.0]])
    r = swiftnn.max(x, 1)
    values, indices = r
    assert r.values is values and r.indices is indices
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [1, 0]
    assert indices.dtype is swiftnn.int64
    assert x.max().item() == 5.0 and x.min().item() == 0.0
    assert x.min(dim=1, keepdim=True).values.shape == (2, 1)
    assert x.argmax().item() == 4 and x.argmin(1).tolist() == [0, 2]
    assert swiftnn.amax(x, (0, 1)).item() == 5.0 and x.amin(-1).tolist() == [1.0, 0.0]
    with pytest.raises(NotImplementedError):
        swiftnn.max(x, x)


def test_gradient_goes_to_the_winner_or_is_split():
    x = swiftnn.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max(0).values.backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    x.grad = None
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_var_and_std_by_hand():
    x = swiftnn.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(5 / 3)
    assert swiftnn.var(x, unbiased=False).item() == pytest.approx(1.25)
    assert swiftnn.var(x, False).item() == pytest.approx(1.25)
    assert x.std(0, correction=0).item() == pytest.approx(math.sqrt(1.25))


def test_errors_are_typed():
    x = swiftnn.zeros(2, 3)
    with pytest.raises(IndexError, match="out of range"):
        x.softmax(2)
    with pytest.raises(IndexError):
        swiftnn.zeros(0, 3).argmax()
    with pytest.raises(TypeError):
        swiftnn.softmax(swiftnn.tensor([1, 2]), 0)
    with pytest.raises(TypeError):
        swiftnn.argmax([1.0, 2.0])
    with pytest.raises(TypeError):
        x.softmax(1.5)
