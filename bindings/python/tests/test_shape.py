"""Shape ops from Python: t[...] indexing against numpy, gradients small enough to check by hand,
and errors that raise swiftnn exceptions naming the function and the shapes."""
import gc

import numpy as np
import pytest

import swiftnn
from swiftnn import int64

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def sw(a=A, requires_grad=False):
    return swiftnn.tensor(a, requires_grad=requires_grad)


def idx(values):
    return swiftnn.tensor(values, dtype=int64)


# ---- t[...] against numpy -------------------------------------------------------------------

KEYS = [
    1, -1, (0, 2), (1, -1, -4),
    slice(1, None), slice(None, None, 2), (slice(None), slice(-2, None)), (slice(None), slice(None), slice(1, None, 2)),
    (slice(-100, 100),), (slice(None), slice(5, 9)), (slice(None), slice(2, 1)), (slice(None, None, 7),),
    Ellipsis, (Ellipsis, 1), (0, Ellipsis), (Ellipsis, slice(None, None, 3)), (1, Ellipsis, None, slice(1, 3)),
    None, (None, 0), (slice(None), None, 1), (None, Ellipsis, None),
    [1, 0, 1], (slice(None), [2, -1, 0]), (Ellipsis, [3, 3]), (0, [[0, 1], [2, 1]]), (slice(None), []),
    np.array([1, 0]), (slice(None), np.array(2)), (0, slice(None), np.int64(-1)),
]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_getitem_matches_numpy(key):
    gc.collect()  # earlier tests' cycles must not be collected between the two counts
    before = swiftnn.live_handles()
    out = sw()[key]
    expected = A[key]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    del out
    gc.collect()
    assert swiftnn.live_handles() == before


def test_getitem_with_int64_tensor_indices():
    x = sw()
    np.testing.assert_array_equal(x[idx([1, 0, -1])].numpy(), A[[1, 0, -1]])
    np.testing.assert_array_equal(x[:, idx([[2, 0], [1, 1]])].numpy(), A[:, [[2, 0], [1, 1]]])
    np.testing.assert_array_equal(x[idx(1), :, idx(-2)].numpy(), A[1, :, -2])  # 0-d tensors act as ints


def test_getitem_on_int64_tensor():
    a = np.arange(12).reshape(3, 4)
    x = swiftnn.tensor(a)
    assert x.dtype is int64
    np.testing.assert_array_equal(x[1:, ::3].numpy(), a[1:, ::3])
    np.testing.assert_array_equal(x.t().numpy(), a.T)


def test_full_slice_is_a_new_graph_node():
    x = sw(requires_grad=True)
    y = x[:]
    assert y is not x and not y.is_leaf
    np.testing.assert_array_equal(y.numpy(), A)


def test_iteration_yields_rows():
    rows = list(sw())
    assert len(rows) == 2
    for r, e in zip(rows, A):
        np.testing.assert_array_equal(r.numpy(), e)


# ---- methods and functions ------------------------------------------------------------------

def test_methods_match_numpy():
    x = sw()
    assert x.reshape(2, -1).shape == (2, 12)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.view(-1).shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert swiftnn.flatten(x, 0, 1).shape == (6, 4)
    assert x.unsqueeze(1).squeeze(1).shape == (2, 3, 4)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1)
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), A.transpose(2, 1, 0))
    np.testing.assert_array_equal(x.permute(1, 2, 0).numpy(), A.transpose(1, 2, 0))
    np.testing.assert_array_equal(x.permute((2, 0, 1)).numpy(), A.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.T.numpy(), A.T)
    np.testing.assert_array_equal(x[0].t().numpy(), A[0].T)
    np.testing.assert_array_equal(x[0, 0].t().numpy(), A[0, 0])  # 1-D: unchanged
    np.testing.assert_array_equal(x.narrow(2, -3, 2).numpy(), A[:, :, 1:3])
    np.testing.assert_array_equal(swiftnn.select(x, 1, -1).numpy(), A[:, -1])
    np.testing.assert_array_equal(x.index_select(2, [3, 0, 3]).numpy(), A[:, :, [3, 0, 3]])
    np.testing.assert_array_equal(swiftnn.cat([x, x[:, :1]], dim=1).numpy(), np.concatenate([A, A[:, :1]], 1))
    np.testing.assert_array_equal(swiftnn.stack([x, x], dim=-1).numpy(), np.stack([A, A], -1))
    np.testing.assert_array_equal(x[:, :1].expand(2, 3, 4).numpy(), np.broadcast_to(A[:, :1], (2, 3, 4)))
    np.testing.assert_array_equal(x[:, :1].expand(5, -1, 2, -1).numpy(), np.broadcast_to(A[:, :1], (5, 2, 2, 4)))
    np.testing.assert_array_equal(swiftnn.broadcast_to(x[0, 0], (3, 4)).numpy(), np.broadcast_to(A[0, 0], (3, 4)))
    assert x.contiguous() is x and x.is_contiguous()
    assert x.reshape_as(swiftnn.zeros(6, 4)).shape == (6, 4)
    assert x.view_as(swiftnn.zeros(24)).shape == (24,)
    assert x[0, :1].expand_as(x[0]).shape == (3, 4)
    assert x.squeeze(()).shape == (2, 3, 4)
    assert sw(A.reshape(1, 24, 1)).squeeze((0, 2)).shape == (24,)


def test_large_slice_bounds_are_clamped():
    x = sw()
    np.testing.assert_array_equal(x[:, -10**30:10**30].numpy(), A)
    np.testing.assert_array_equal(x[:, ::10**30].numpy(), A[:, :1])


def test_transpose_of_a_large_matrix():
    a = np.random.default_rng(0).standard_normal((301, 257)).astype(np.float32)
    np.testing.assert_array_equal(swiftnn.tensor(a).t().numpy(), a.T)
    b = a.reshape(7, 43, 257)
    np.testing.assert_array_equal(swiftnn.tensor(b).permute(2, 0, 1).numpy(), b.transpose(2, 0, 1))


# ---- gradients you can check by hand ---------------------------------------------------------

def grad_of(f, a):
    x = swiftnn.tensor(a, requires_grad=True)
    f(x).sum().backward()
    return x.grad.numpy()


def test_grad_of_strided_slice_is_a_mask():
    g = grad_of(lambda x: x[1:, ::2], np.zeros((3, 4), np.float32))
    np.testing.assert_array_equal(g, [[0, 0, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]])


def test_grad_of_repeated_indices_counts_them():
    g = grad_of(lambda x: x[[0, 2, 0, 0]], np.zeros((3, 2), np.float32))
    np.testing.assert_array_equal(g, [[3, 3], [0, 0], [1, 1]])
    g = grad_of(lambda x: x.index_select(1, idx([1, 1])), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g, [[0, 2, 0], [0, 2, 0]])


def test_grad_of_select_and_negative_index():
    g = grad_of(lambda x: x[-1, 0] * 5, np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g, [[0, 0, 0], [5, 0, 0]])


def test_grad_of_expand_sums_the_repeats():
    g = grad_of(lambda x: x.expand(2, 3, 4), np.zeros((3, 1), np.float32))
    np.testing.assert_array_equal(g, np.full((3, 1), 8))


def test_grad_through_transpose_and_permute_follows_the_elements():
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    g = grad_of(lambda x: x.t() * swiftnn.tensor(w), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g, w.T)
    w3 = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    g = grad_of(lambda x: x.permute(2, 0, 1) * swiftnn.tensor(w3), np.zeros((2, 3, 4), np.float32))
    np.testing.assert_array_equal(g, w3.transpose(1, 2, 0))


def test_grad_of_cat_and_stack_splits():
    a = swiftnn.tensor(np.zeros((2, 2), np.float32), requires_grad=True)
    b = swiftnn.tensor(np.zeros((2, 1), np.float32), requires_grad=True)
    w = swiftnn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    (swiftnn.cat([a, b], dim=1) * w).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 1], [3, 4]])
    np.testing.assert_array_equal(b.grad.numpy(), [[2], [5]])
    c = swiftnn.tensor(np.zeros(3, np.float32), requires_grad=True)
    (swiftnn.stack([c, c], dim=-1) * swiftnn.tensor(np.arange(6, dtype=np.float32).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), [1, 5, 9])  # c used twice: 0+1, 2+3, 4+5


def test_grad_through_views_and_narrow():
    g = grad_of(lambda x: x.reshape(2, -1).unsqueeze(0).flatten()[::5], np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g, [[1, 0, 0], [0, 0, 1]])
    g = grad_of(lambda x: x.narrow(1, 1, 2), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g, [[0, 1, 1], [0, 1, 1]])
    g = grad_of(lambda x: x[None, ..., None][0, :, 1, 0], np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g, [[0, 1, 0], [0, 1, 0]])


# ---- errors: swiftnn exceptions naming the function and the shapes -----------------------------

def raises(exc, f, *words):
    with pytest.raises(exc) as e:
        f()
    msg = str(e.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    return msg


def test_bad_permutations():
    x = sw()
    raises(swiftnn.InvalidArgumentError, lambda: x.permute(0, 0, 1), "permute", "[0, 0, 1]", "[2, 3, 4]")
    raises(swiftnn.ShapeError, lambda: x.permute(0, 1), "permute", "[0, 1]", "[2, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: x.permute(0, 1, 3), "permute", "3", "rank 3")


def test_out_of_range_select_and_index():
    x = sw()
    raises(swiftnn.OutOfRangeError, lambda: swiftnn.select(x, 1, 3), "select", "index 3", "[2, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: x[0, -4], "select", "index -4", "[3, 4]")
    raises(IndexError, lambda: x[2], "select", "[2, 3, 4]")  # OutOfRangeError is an IndexError
    raises(swiftnn.OutOfRangeError, lambda: x[0, 0, 0, 0], "too many indices", "[2, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: x[:, [0, 3]], "index 3", "dimension 1", "[2, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: x.index_select(0, [-1]), "index_select", "index -1", "[2, 3, 4]")
    raises(swiftnn.DTypeError, lambda: x.index_select(0, swiftnn.tensor([0.0])), "index_select", "float32", "int64")
    raises(swiftnn.ShapeError, lambda: x.index_select(0, idx([[0]])), "index_select", "[1, 1]")
    raises(swiftnn.OutOfRangeError, lambda: swiftnn.select(swiftnn.tensor(3.0), 0, 0), "select", "0-dim")
    raises(swiftnn.OutOfRangeError, lambda: swiftnn.tensor(3.0)[0], "too many indices", "[]")
    raises(swiftnn.OutOfRangeError, lambda: x.narrow(1, 2, 2), "narrow", "exceeds", "[2, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: x.unsqueeze(4), "unsqueeze", "4", "[2, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: x.transpose(0, -4), "transpose", "-4")


def test_reshape_and_expand_errors_name_the_shapes():
    x = sw()
    raises(swiftnn.ShapeError, lambda: x.reshape(5, -1), "reshape", "[5, -1]", "[2, 3, 4]", "24")
    raises(swiftnn.ShapeError, lambda: x.view(5, 5), "view", "[5, 5]", "[2, 3, 4]")
    raises(swiftnn.InvalidArgumentError, lambda: x.reshape(-1, -1), "reshape", "only one dimension")
    raises(swiftnn.InvalidArgumentError, lambda: x.reshape(-2, 12), "reshape", "-2")
    raises(swiftnn.OutOfRangeError, lambda: x.reshape(2**64), "reshape", "int64")
    raises(swiftnn.ShapeError, lambda: x.expand(2, 5, 4), "expand", "[2, 5, 4]", "[2, 3, 4]")
    raises(swiftnn.ShapeError, lambda: x.expand(4), "expand", "[4]", "[2, 3, 4]")
    raises(swiftnn.InvalidArgumentError, lambda: x.flatten(2, 1), "flatten", "[2, 3, 4]")
    raises(swiftnn.InvalidArgumentError, lambda: x.squeeze((0, 0)), "squeeze", "more than once")
    raises(swiftnn.ShapeError, lambda: x.t(), "t:", "[2, 3, 4]")


def test_slice_step_must_be_positive():
    x = sw()
    raises(swiftnn.InvalidArgumentError, lambda: x[::-1], "slice", "step", "-1", "[2, 3, 4]")
    raises(ValueError, lambda: x[:, ::0], "slice", "step")


def test_cat_and_stack_errors():
    x = sw()
    raises(swiftnn.ShapeError, lambda: swiftnn.cat([x, x[:, :, :2]], dim=1), "cat", "[2, 3, 4]", "[2, 3, 2]")
    raises(swiftnn.ShapeError, lambda: swiftnn.cat([x, x[0]]), "cat", "same rank", "[3, 4]")
    raises(swiftnn.DTypeError, lambda: swiftnn.cat([x, idx([[[1]]])], dim=0), "cat", "int64")
    raises(swiftnn.InvalidArgumentError, lambda: swiftnn.cat([]), "cat", "non-empty")
    raises(swiftnn.ShapeError, lambda: swiftnn.cat([swiftnn.tensor(1.0)]), "cat", "0-dimensional")
    raises(swiftnn.ShapeError, lambda: swiftnn.stack([x, x[:1]]), "stack", "[2, 3, 4]", "[1, 3, 4]")
    raises(swiftnn.OutOfRangeError, lambda: swiftnn.stack([x, x], dim=4), "stack", "4")
    raises(TypeError, lambda: swiftnn.cat([x, A]), "cat", "element 1")


def test_unsupported_indices_are_explicit():
    x = sw()
    raises(swiftnn.UnsupportedError, lambda: x[[0, 1], [0, 1]], "at most one")
    raises(swiftnn.UnsupportedError, lambda: x[True], "boolean")
    raises(IndexError, lambda: x[..., ...], "single ellipsis")
    raises(IndexError, lambda: x[1.5], "float")


def test_errors_leak_no_handles():
    x = sw()
    before = swiftnn.live_handles()
    for f in (lambda: x.permute(0, 0, 1), lambda: x[5], lambda: swiftnn.cat([x, x[0]]), lambda: x.reshape(7)):
        with pytest.raises(swiftnn.SwiftNNError):
            f()
    assert swiftnn.live_handles() == before
