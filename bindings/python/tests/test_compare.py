"""Comparisons and selection from Python as a PyTorch user writes them: operators returning bool
tensors, Python numbers with PyTorch's promotion, identity hashing, `in`, bool(), masks, and the
errors for bad masks, indices, k and dtypes (each naming the function; no handle leaks).
Forward and gradients against PyTorch are in the golden "compare" area (test_golden.py)."""
import numpy as np
import pytest

import swiftnn


def test_operators_return_bool_tensors_and_broadcast():
    a = swiftnn.tensor([1.0, 2.0, 3.0])
    b = swiftnn.tensor([[2.0], [3.0]])
    lt = a < b
    assert lt.dtype is swiftnn.bool and lt.shape == (2, 3)
    np.testing.assert_array_equal(lt.detach().numpy(), [[True, False, False], [True, True, False]])
    np.testing.assert_array_equal((a == 2).detach().numpy(), [False, True, False])
    np.testing.assert_array_equal((a != 2).detach().numpy(), [True, False, True])
    np.testing.assert_array_equal((2 < a).detach().numpy(), [False, False, True])  # reflected: a > 2
    np.testing.assert_array_equal((a >= b).detach().numpy(), [[False, True, True], [False, False, True]])


def test_python_numbers_follow_pytorchs_promotion():
    # float32 tensor == 0.1 rounds 0.1 to float32 first (torch: True).
    assert (swiftnn.tensor([0.1]) == 0.1).item() is True
    # int tensor vs 2.5 compares as float; vs 2 exactly.
    np.testing.assert_array_equal((swiftnn.tensor([2, 3]) < 2.5).detach().numpy(), [True, False])
    np.testing.assert_array_equal((swiftnn.tensor([2, 3]) == 2).detach().numpy(), [True, False])
    # int64 2**24 + 1 vs float32 2**24: compared in float32, equal (as torch).
    assert (swiftnn.tensor([16777217]) == swiftnn.tensor([16777216.0])).item() is True


def test_unsupported_operands_fall_back_like_pytorch():
    t = swiftnn.tensor([1, 2])
    assert (t == "a") is False
    assert (t == None) is False  # noqa: E711
    assert (t != [1, 2]) is True
    with pytest.raises(TypeError):
        t < "a"


def test_hash_is_identity_so_tensors_stay_dict_keys():
    a, b = swiftnn.tensor([1.0]), swiftnn.tensor([1.0])
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert len({a, b, a}) == 2
    assert hash(a) == object.__hash__(a)


def test_contains_and_bool():
    t = swiftnn.tensor([[1, 2], [3, 4]])
    assert 3 in t and 5 not in t
    assert swiftnn.tensor([2.0]) in swiftnn.tensor([1.0, 2.0])
    assert bool(swiftnn.tensor([0.0])) is False
    assert bool(swiftnn.tensor(float("nan"))) is True
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(t)
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(swiftnn.tensor([]))
    if swiftnn.tensor([1.0]) > 0:  # a one-element comparison in an if, as people write it
        pass


def test_logic_and_bitwise_operators():
    m = swiftnn.tensor([True, False, True])
    n = swiftnn.tensor([True, True, False])
    np.testing.assert_array_equal((m & n).detach().numpy(), [True, False, False])
    np.testing.assert_array_equal((m | n).detach().numpy(), [True, True, True])
    np.testing.assert_array_equal((m ^ n).detach().numpy(), [False, True, True])
    np.testing.assert_array_equal((~m).detach().numpy(), [False, True, False])
    np.testing.assert_array_equal((m & True).detach().numpy(), [True, False, True])
    i = swiftnn.tensor([12, 10])
    np.testing.assert_array_equal((i & 6).detach().numpy(), [4, 2])
    np.testing.assert_array_equal((~i).detach().numpy(), [-13, -11])
    x = swiftnn.tensor([0.0, 2.0, float("nan")])
    np.testing.assert_array_equal(swiftnn.logical_and(x, m).detach().numpy(), [False, False, True])
    with pytest.raises(swiftnn.DTypeError, match="bitwise_and"):
        x & m


def test_masks_select_and_fill_with_gradients():
    x = swiftnn.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    y = swiftnn.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 2], [3, 0]])
    assert y.dtype is swiftnn.float32
    z = x.masked_fill(x < 0, 10.0)
    (y.sum() + (z * z).sum()).backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [[0, 1 + 4], [1 + 6, 0]])
    rows, cols = swiftnn.where(x > 0)
    np.testing.assert_array_equal(rows.detach().numpy(), [0, 1])
    np.testing.assert_array_equal(cols.detach().numpy(), [1, 0])
    assert swiftnn.where(swiftnn.tensor([True, False]), 1.0, 0).dtype is swiftnn.float32


def test_any_all_nonzero_count():
    t = swiftnn.tensor([[0, 1, 0], [0, 2, 3]])
    assert t.any().item() is True and t.all().item() is False
    np.testing.assert_array_equal(t.any(0).detach().numpy(), [False, True, True])
    np.testing.assert_array_equal(swiftnn.all(t, 1, keepdim=True).detach().numpy(), [[False], [False]])
    np.testing.assert_array_equal(t.nonzero().detach().numpy(), [[0, 1], [1, 1], [1, 2]])
    np.testing.assert_array_equal(swiftnn.count_nonzero(t, dim=1).detach().numpy(), [1, 2])
    assert swiftnn.isnan(swiftnn.tensor([float("nan"), 1.0])).detach().numpy().tolist() == [True, False]


def test_isclose_allclose_equal():
    a, b = swiftnn.tensor([1.0, 2.0]), swiftnn.tensor([1.0, 2.0001])
    assert swiftnn.allclose(a, b, rtol=1e-3) is True
    assert swiftnn.allclose(a, b) is False
    assert swiftnn.equal(a, a.clone()) is True
    assert swiftnn.equal(a, b) is False
    assert swiftnn.equal(a, swiftnn.tensor([[1.0, 2.0]])) is False  # another shape: False, not an error
    with pytest.raises(swiftnn.DTypeError, match="isclose"):
        swiftnn.isclose(a, swiftnn.tensor([1, 2]))


def test_sort_topk_gather_scatter():
    t = swiftnn.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    values, indices = t.sort(descending=True)
    np.testing.assert_array_equal(values.detach().numpy(), [[3, 2, 1], [5, 4, 0]])
    np.testing.assert_array_equal(indices.detach().numpy(), [[0, 2, 1], [1, 2, 0]])
    top = swiftnn.topk(t, 1)
    np.testing.assert_array_equal(top.values.detach().numpy(), [[3], [5]])
    np.testing.assert_array_equal(t.argsort(dim=0).detach().numpy(), [[1, 0, 0], [0, 1, 1]])
    idx = swiftnn.tensor([[2], [0]])
    np.testing.assert_array_equal(t.gather(1, idx).detach().numpy(), [[2], [0]])
    np.testing.assert_array_equal(swiftnn.zeros(2, 3).scatter(1, idx, 7.0).detach().numpy(), [[0, 0, 7], [7, 0, 0]])
    np.testing.assert_array_equal(swiftnn.zeros(2, 3).scatter_add(1, idx, t[:, :1]).detach().numpy(), [[0, 0, 3], [0, 0, 0]])
    np.testing.assert_array_equal(swiftnn.zeros(3).index_add(0, swiftnn.tensor([2, 2]), swiftnn.tensor([1.0, 2.0]), alpha=2).detach().numpy(),
                                  [0, 0, 6])
    np.testing.assert_array_equal(swiftnn.maximum(t, swiftnn.tensor(2.5)).detach().numpy(), [[3, 2.5, 2.5], [2.5, 5, 4]])
    c = t.clamp(min=swiftnn.tensor([1.0, 2.0, 3.0]), max=4.0)
    np.testing.assert_array_equal(c.detach().numpy(), [[3, 2, 3], [1, 4, 4]])


@pytest.mark.parametrize("call, error, words", [
    (lambda x, m, i: x.masked_fill(swiftnn.tensor([True, False, True]), 0.0), swiftnn.ShapeError, "masked_fill"),
    (lambda x, m, i: x.masked_fill(swiftnn.tensor([1.0, 0.0]), 0.0), swiftnn.DTypeError, "expected bool"),
    (lambda x, m, i: swiftnn.where(x, x, x), swiftnn.DTypeError, "where"),
    (lambda x, m, i: x.gather(1, swiftnn.tensor([[2]])), swiftnn.OutOfRangeError, "index 2 is out of range"),
    (lambda x, m, i: x.gather(1, swiftnn.tensor([[-1]])), swiftnn.OutOfRangeError, "gather"),
    (lambda x, m, i: x.gather(1, swiftnn.tensor([[0.0]])), swiftnn.DTypeError, "int64"),
    (lambda x, m, i: x.gather(1, swiftnn.tensor([0])), swiftnn.ShapeError, "same rank"),
    (lambda x, m, i: x.topk(3), swiftnn.OutOfRangeError, r"k \(3\)"),
    (lambda x, m, i: x.scatter(1, i, swiftnn.tensor([[1, 2]])), swiftnn.DTypeError, "src has dtype int64"),
    (lambda x, m, i: x.index_add(0, swiftnn.tensor([5]), swiftnn.ones(1, 2)), swiftnn.OutOfRangeError, "index_add"),
    (lambda x, m, i: x.sort(dim=2), swiftnn.OutOfRangeError, "sort"),
])
def test_bad_input_is_a_clear_error_without_leaks(call, error, words):
    x = swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]])
    m = x > 2
    i = swiftnn.tensor([[0, 1]])
    import gc
    gc.collect()
    before = swiftnn.live_handles()
    with pytest.raises(error, match=words):
        call(x, m, i)
    gc.collect()
    assert swiftnn.live_handles() == before


def test_boolean_mask_indexing_selects_and_passes_gradients():
    t = swiftnn.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    picked = t[t > 0]
    np.testing.assert_array_equal(picked.detach().numpy(), [1, 3, 4])
    (picked * swiftnn.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.detach().numpy(), [[1, 0], [2, 3]])
    np.testing.assert_array_equal(t[swiftnn.tensor([False, True])].detach().numpy(), [[3, 4]])  # a mask of the leading dim: rows
    assert t[swiftnn.tensor([False, False])].shape == (0, 2)
    with pytest.raises(IndexError, match=r"The shape of the mask \[3\] at index 0 does not match"):
        t[swiftnn.tensor([True, False, True])]
    np.testing.assert_array_equal(t[swiftnn.tensor([1, 0])].detach().numpy(), [[3, 4], [1, -2]])  # int indices unchanged
