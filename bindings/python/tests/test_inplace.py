"""In-place ops, views and the version counter from Python, as PyTorch: writes through views,
augmented assignment, t[...] = v, the rules and their messages (torch 2.13's wording, printed by
tools/check_inplace_messages.py), the rebased history, and bad input that must fail cleanly."""
import gc

import numpy as np
import pytest

import swiftnn
from swiftnn import int64
from swiftnn._lib import check, lib

MODIFIED = ("one of the variables needed for gradient computation has been modified by an inplace "
            "operation: [swiftnn.FloatTensor [4, 5]], which is output 0 of Relu, is at version 1; "
            "expected version 0 instead.")


def ramp(*shape):
    return swiftnn.tensor(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape))


# ---- views --------------------------------------------------------------------------------------

def test_views_share_storage_and_report_strides_as_torch():
    x = ramp(2, 3, 4)
    t = x.transpose(0, 1)
    assert t.stride() == (4, 12, 1) and t.stride(-1) == 1 and not t.is_contiguous()
    assert x[:, 1].storage_offset() == 4 and x[:, 1].stride() == (12, 1)
    assert x[..., ::2].stride() == (12, 4, 2)
    assert x[0:1].expand(3, 3, 4).stride() == (0, 4, 1)
    assert t._shares_storage(x) and x[1]._shares_storage(x)
    c = t.contiguous()
    assert c.is_contiguous() and not c._shares_storage(x)
    np.testing.assert_array_equal(c.detach().numpy(), x.detach().numpy().transpose(1, 0, 2))
    assert x.contiguous() is x
    with pytest.raises(swiftnn.ShapeError, match="view size is not compatible"):
        t.view(24)
    np.testing.assert_array_equal(t.reshape(24).detach().numpy(), x.detach().numpy().transpose(1, 0, 2).reshape(24))
    assert t.view(3, 2, 2, 2)._shares_storage(x)


def test_writes_through_views_reach_the_base_and_bump_one_version():
    x = ramp(3, 4)
    col = x[:, 1]
    x.t()[1].mul_(10)
    assert x._version == 1 and col._version == 1
    np.testing.assert_array_equal(col.detach().numpy(), [10, 50, 90])
    x[0].add_(swiftnn.tensor([1.0, 2, 3, 4]))
    np.testing.assert_array_equal(x[0].detach().numpy(), [1, 12, 5, 7])
    assert x._version == 2


# ---- augmented assignment and in-place methods -------------------------------------------------

def test_augmented_assignment_is_in_place_like_a_manual_sgd_step():
    w = swiftnn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    alias = w
    loss = (w * w).sum()
    loss.backward()
    with swiftnn.no_grad():
        w -= 0.25 * w.grad
    assert w is alias and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), [0.5, -1.0, 1.5])
    w.grad.zero_()
    np.testing.assert_array_equal(w.grad.detach().numpy(), [0, 0, 0])
    x = ramp(2, 2)
    x += 1
    x *= swiftnn.tensor([2.0, 3.0])
    x /= 2
    x -= swiftnn.tensor([[1.0], [2.0]])
    np.testing.assert_allclose(x.detach().numpy(), [[0, 2], [1, 4]])
    assert x.add_(1, alpha=2) is x and x.clamp_(max=4) is x
    np.testing.assert_allclose(x.detach().numpy(), [[2, 4], [3, 4]])


def test_copy_broadcasts_and_converts():
    x = swiftnn.zeros(2, 3)
    x.copy_(swiftnn.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.detach().numpy(), [[1, 2, 3], [1, 2, 3]])
    x.copy_(swiftnn.tensor([[4, 5, 6], [7, 8, 9]], dtype=int64))
    np.testing.assert_array_equal(x.detach().numpy(), [[4, 5, 6], [7, 8, 9]])
    x.fill_(2.5)
    np.testing.assert_array_equal(x.detach().numpy(), np.full((2, 3), 2.5))


def test_data_is_a_detached_alias():
    w = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad and d._shares_storage(w)
    d.mul_(3)
    np.testing.assert_array_equal(w.detach().numpy(), [3, 6])


# ---- __setitem__ ----------------------------------------------------------------------------------

def test_setitem_with_basic_indices_against_numpy():
    for key, value in [(1, 7.0), ((0, 2), -1.0), (slice(None, None, 2), 5.0), ((Ellipsis, 1), 9.0),
                       ((slice(None), slice(1, None, 2)), [[1.0, 2.0]]), ((None, 1), 3.0),
                       (Ellipsis, 0.5), ((1, slice(None, 2)), [8.0, 9.0])]:
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        x = swiftnn.tensor(a)
        a[key] = value
        x[key] = value if not isinstance(value, list) else swiftnn.tensor(value)
        np.testing.assert_array_equal(x.detach().numpy(), a, err_msg=str(key))


def test_setitem_with_masks_and_index_tensors():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = swiftnn.tensor(a)
    mask = a % 3 == 0
    x[mask] = -1.0
    a[mask] = -1
    np.testing.assert_array_equal(x.detach().numpy(), a)
    x[mask] = swiftnn.tensor([10.0, 20.0, 30.0, 40.0])
    a[mask] = [10, 20, 30, 40]
    np.testing.assert_array_equal(x.detach().numpy(), a)
    x[swiftnn.tensor([2, 0], dtype=int64)] = swiftnn.tensor([[1.0], [2.0]])
    a[[2, 0]] = [[1], [2]]
    np.testing.assert_array_equal(x.detach().numpy(), a)
    x[:, [1, -1]] = 0.0
    a[:, [1, -1]] = 0
    np.testing.assert_array_equal(x.detach().numpy(), a)
    t = x.t()  # a strided destination, and a swiftnn bool mask
    t[swiftnn.from_numpy(a.T > 20)] = 0.0
    a.T[a.T > 20] = 0
    np.testing.assert_array_equal(x.detach().numpy(), a)
    n = swiftnn.tensor([1, 2, 3], dtype=int64)
    n[np.array([True, False, True])] = 9.5  # values convert to the tensor's dtype
    np.testing.assert_array_equal(n.detach().numpy(), [9, 2, 9])
    with pytest.raises(IndexError, match=r"a boolean mask must have the tensor's shape \[3, 4\], got \[3\]"):
        x[np.array([True, False, True])] = 1.0


# ---- the rules ------------------------------------------------------------------------------------

def test_in_place_on_a_leaf_that_requires_grad_is_an_error():
    w = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(swiftnn.AutogradError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        w += 1
    with pytest.raises(swiftnn.AutogradError, match="a view of a leaf Variable that requires grad is being used in an in-place operation."):
        w[0] = 5.0
    np.testing.assert_array_equal(w.detach().numpy(), [1, 2])


def test_a_result_larger_than_self_is_an_error():
    x = swiftnn.zeros(3)
    with pytest.raises(swiftnn.ShapeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        x.add_(swiftnn.zeros(2, 3))
    assert x._version == 0


def test_history_is_rebased_onto_the_in_place_op():
    a = swiftnn.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    x = a * 2
    x.add_(1)
    assert x.requires_grad and not x.is_leaf
    x.sum().backward()
    np.testing.assert_array_equal(a.grad.detach().numpy(), np.full((2, 3), 2))


def test_modified_saved_tensor_fails_at_backward_with_pytorchs_message():
    x = swiftnn.tensor((np.arange(20, dtype=np.float32) - 10).reshape(4, 5), requires_grad=True)
    y = (x * 1).relu()
    y.add_(1)
    with pytest.raises(swiftnn.AutogradError) as e:
        y.sum().backward()
    assert MODIFIED in str(e.value)


def test_bad_input_fails_cleanly_and_leaks_nothing():
    gc.collect()
    before = swiftnn.live_handles()
    x = ramp(2, 3)
    with pytest.raises(swiftnn.DTypeError):
        swiftnn.tensor([1, 2], dtype=int64).add_(swiftnn.tensor([0.5, 0.5]))
    with pytest.raises(swiftnn.OutOfRangeError):
        x[swiftnn.tensor([0, 5], dtype=int64)] = 1.0
    m, s = ramp(2, 3), ramp(1, 1)
    with pytest.raises(swiftnn.DTypeError, match="mask has dtype float32, expected bool"):
        check(lib.snn_tensor_masked_scatter_(x._h, m._h, s._h))
    del m, s
    a = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(swiftnn.InvalidArgumentError, match="more than one element of the written-to tensor"):
        (a * 1)[:1].expand(3).mul_(2)
    with pytest.raises((TypeError, ValueError)):
        x.add_("one")
    del x, a
    gc.collect()
    assert swiftnn.live_handles() == before
