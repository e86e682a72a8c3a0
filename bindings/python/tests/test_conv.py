"""swiftnn.conv beyond the goldens: PyTorch's argument forms (ints or pairs, stride=None,
padding='same', output_size with None), hand-checkable results, dropout's seeded mask and its
backward, in-place running statistics, and the exceptions invalid arguments raise."""
import numpy as np
import pytest

import swiftnn
from swiftnn import conv as F


def test_max_pool_of_arange():
    x = swiftnn.arange(16.0).numpy().reshape(1, 1, 4, 4)
    y, idx = F.max_pool2d(swiftnn.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy().ravel(), [5, 7, 13, 15])
    np.testing.assert_array_equal(idx.numpy().ravel(), [5, 7, 13, 15])
    assert idx.dtype is swiftnn.int64


def test_lecture_convolution_is_a_matrix_multiply():
    z = np.array([1, -2, 3, 0.5, -1, 2], np.float32)
    w = np.array([0.5, -1, 2], np.float32)
    band = np.zeros((4, 6), np.float32)
    for r in range(4):
        band[r, r:r + 3] = w
    zt = swiftnn.tensor(z.reshape(1, 1, 1, 6), requires_grad=True)
    y = F.conv2d(zt, swiftnn.tensor(w.reshape(1, 1, 1, 3)))
    np.testing.assert_array_equal(y.detach().numpy().ravel(), band @ z)
    g = np.array([1, 0.25, -3, 2], np.float32)
    y.backward(swiftnn.tensor(g.reshape(1, 1, 1, 4)))
    np.testing.assert_array_equal(zt.grad.numpy().ravel(), band.T @ g)


def test_argument_forms_match_pytorch():
    rng = np.random.default_rng(0)
    x = swiftnn.tensor(rng.standard_normal((2, 4, 9, 9)), dtype=swiftnn.float32)  # numpy's float64 stays float64
    w = swiftnn.tensor(rng.standard_normal((6, 2, 3, 3)), dtype=swiftnn.float32)
    a = F.conv2d(x, w, stride=2, padding=1, dilation=1, groups=2)
    b = F.conv2d(x, w, None, (2, 2), (1, 1), (1, 1), 2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert F.conv2d(x, w, padding="same", groups=2).shape == (2, 6, 9, 9)
    assert F.conv2d(x, w, padding="valid", groups=2).shape == (2, 6, 7, 7)
    # An even kernel: PyTorch puts the odd pixel after (bottom, right); so do we.
    assert F.conv2d(x, swiftnn.zeros(6, 2, 2, 2), padding="same", groups=2).shape == (2, 6, 9, 9)
    assert F.max_pool2d(x, 3, stride=None).shape == (2, 4, 3, 3)
    assert F.max_pool2d(x, (3, 2), (2, 1), ceil_mode=True).shape == (2, 4, 4, 8)
    assert F.avg_pool2d(x, 2, 2, 0, True).shape == (2, 4, 5, 5)
    assert F.adaptive_avg_pool2d(x, (None, 4)).shape == (2, 4, 9, 4)
    assert F.adaptive_avg_pool2d(x, 1).shape == (2, 4, 1, 1)
    assert F.linear(swiftnn.zeros(3, 5, 7), swiftnn.zeros(2, 7)).shape == (3, 5, 2)


def test_dropout_mask_is_rand_ge_p_and_backward_reuses_it():
    p = 0.3
    x = np.random.default_rng(1).uniform(0.5, 1.5, (300, 300)).astype(np.float32)
    xt = swiftnn.tensor(x, requires_grad=True)
    swiftnn.manual_seed(99)
    y = F.dropout(xt, p)
    swiftnn.manual_seed(99)
    keep = swiftnn.rand(300, 300).numpy() >= np.float32(p)
    scale = np.float32(1 / (1 - p))
    np.testing.assert_array_equal(y.detach().numpy(), np.where(keep, x * scale, 0))
    # 90,000 Bernoulli(0.3) draws: the fraction's standard deviation is 0.0015.
    assert abs((1 - keep.mean()) - p) < 0.01
    g = np.random.default_rng(2).standard_normal((300, 300)).astype(np.float32)
    y.backward(swiftnn.tensor(g))
    np.testing.assert_array_equal(xt.grad.numpy(), np.where(keep, g * scale, 0))


def test_dropout_identities():
    x = swiftnn.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    assert not F.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)
    with pytest.raises(NotImplementedError):
        F.dropout(x, 0.5, inplace=True)


def test_batch_norm_updates_running_statistics_in_place():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 3, 4, 4)) * 2 + 1).astype(np.float32)
    rm, rv = swiftnn.zeros(3), swiftnn.ones(3)
    y = F.batch_norm(swiftnn.tensor(x), rm, rv, training=True, momentum=0.2)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    n = x.size // 3
    np.testing.assert_allclose(rm.numpy(), 0.2 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), 0.8 + 0.2 * var * n / (n - 1), rtol=1e-5)
    ref = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-5)
    before = rm.numpy()
    F.batch_norm(swiftnn.tensor(x), rm, rv, training=False)
    np.testing.assert_array_equal(rm.numpy(), before)


def test_invalid_arguments_raise_with_the_library_message():
    x, w = swiftnn.zeros(1, 3, 5, 5), swiftnn.zeros(4, 3, 3, 3)
    with pytest.raises(swiftnn.ShapeError, match=r"conv2d: input \[1, 2, 5, 5\] has 2 channels"):
        F.conv2d(swiftnn.zeros(1, 2, 5, 5), w)
    with pytest.raises(swiftnn.ShapeError, match="spans more than the padded input"):
        F.conv2d(swiftnn.zeros(1, 3, 2, 2), w)
    with pytest.raises(swiftnn.InvalidArgumentError, match="stride"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(TypeError):
        F.conv2d(x, w, stride=(1, 2, 3))
    with pytest.raises(swiftnn.InvalidArgumentError, match="at most half of kernel_size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(swiftnn.ShapeError, match="too small"):
        F.avg_pool2d(x, 6)
    with pytest.raises(swiftnn.InvalidArgumentError, match="more than 1 value per channel"):
        F.batch_norm(swiftnn.zeros(1, 3), None, None, training=True)
    rm = swiftnn.zeros(3, requires_grad=True)
    with pytest.raises(swiftnn.AutogradError, match="running_mean requires grad"):
        F.batch_norm(x, rm, swiftnn.ones(3))
    with pytest.raises(swiftnn.ShapeError, match="expects 4"):
        F.linear(swiftnn.zeros(2, 3), swiftnn.zeros(5, 4))


@pytest.mark.parametrize("shape, weight, padding", [
    ((64, 1, 28, 28), (6, 1, 5, 5), 2),       # LeNet's conv1: the wide direct kernels
    ((400, 6, 14, 14), (16, 6, 5, 5), 0),     # LeNet's conv2 by filters, weight gradient in two image groups
    ((3, 4, 9, 30), (32, 4, 3, 3), 1),
])
def test_conv_and_pool_results_do_not_depend_on_the_thread_count(shape, weight, padding):
    # The direct kernels split images or gradient tiles between threads: every value must be
    # the same sum whatever the split.
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(weight).astype(np.float32)
    b = rng.standard_normal(weight[0]).astype(np.float32)
    before = swiftnn.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            swiftnn.set_num_threads(threads)
            xt, wt, bt = (swiftnn.tensor(a, requires_grad=True) for a in (x, w, b))
            y = F.max_pool2d(F.conv2d(xt, wt, bt, padding=padding), 2)
            g = np.random.default_rng(8).standard_normal(tuple(y.shape)).astype(np.float32)
            y.backward(swiftnn.tensor(g))
            results.append([y.detach().numpy(), xt.grad.detach().numpy(), wt.grad.detach().numpy(), bt.grad.detach().numpy()])
    finally:
        swiftnn.set_num_threads(before)
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            np.testing.assert_array_equal(a, b_)
