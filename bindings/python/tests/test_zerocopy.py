"""numpy and SwiftNN share memory as numpy and PyTorch do: from_numpy, Tensor.numpy(),
__array__ and __array_interface__ (np.shares_memory, writes seen both ways, lifetimes), no
silent dtype conversion, PyTorch's errors, and live handles back to their baseline."""
import gc
import warnings

import numpy as np
import pytest

import swiftnn

SUPPORTED = [(np.float32, swiftnn.float32), (np.float64, swiftnn.float64), (np.int64, swiftnn.int64),
             (np.int32, swiftnn.int32), (np.uint8, swiftnn.uint8), (np.bool_, swiftnn.bool)]


@pytest.fixture
def handles():
    gc.collect()
    before = swiftnn.live_handles()
    yield
    gc.collect()
    assert swiftnn.live_handles() == before


@pytest.mark.parametrize("np_dtype,dtype", SUPPORTED)
def test_from_numpy_shares_memory_for_every_dtype(np_dtype, dtype, handles):
    a = np.arange(6).reshape(2, 3).astype(np_dtype)
    t = swiftnn.from_numpy(a)
    assert t.dtype is dtype and tuple(t.shape) == (2, 3)
    b = t.numpy()
    assert b.dtype == np_dtype and np.shares_memory(a, b)
    a[1, 2] = 1
    assert b[1, 2] == 1
    b[0, 0] = 1
    assert a[0, 0] == 1


@pytest.mark.parametrize("bad", [np.float16, np.complex64, np.complex128, np.uint16, np.int16, np.int8,
                                 np.uint32, np.uint64, object])
def test_unsupported_dtypes_are_a_type_error_naming_them(bad):
    a = np.zeros(3, dtype=bad)
    with pytest.raises(TypeError, match=f"can't convert np.ndarray of type numpy.{np.dtype(bad).name}"):
        swiftnn.from_numpy(a)


def test_from_numpy_errors_as_pytorch():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        swiftnn.from_numpy([1.0, 2.0])
    with pytest.raises(ValueError, match="negative"):
        swiftnn.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(ValueError, match="byte order"):
        swiftnn.from_numpy(np.zeros(3, dtype=">f4"))
    with pytest.raises(ValueError, match="negative"):  # as PyTorch: no negative strides
        swiftnn.from_numpy(np.zeros((3, 4), np.float32)[:, ::-2])


@pytest.mark.parametrize("view", [lambda a: a[:, ::2], lambda a: a[1::2, 1:], lambda a: a.T[::3], lambda a: a[:, 2],
                                  lambda a: a.transpose(1, 0)[1:, ::2], lambda a: a[::2, ::3].T])
def test_from_numpy_shares_strided_arrays_without_a_copy(view, handles):
    base = np.arange(48, dtype=np.float64).reshape(6, 8)
    a = view(base)
    t = swiftnn.from_numpy(a)
    assert tuple(t.shape) == a.shape and t.stride() == tuple(s // 8 for s in a.strides)
    np.testing.assert_array_equal(t.numpy(), a)
    assert np.shares_memory(base, swiftnn.as_strided(t, (1,), (1,)).numpy())  # t's first element is a's
    t.mul_(-1)  # writes reach exactly a's elements
    np.testing.assert_array_equal(a, -view(np.arange(48, dtype=np.float64).reshape(6, 8)))
    assert (base >= 0).sum() == 48 - a.size + (a == 0).sum()
    del t, a
    gc.collect()


def test_as_strided_is_bounds_checked_and_shares_memory(handles):
    t = swiftnn.arange(12.0)
    v = t.as_strided((3, 2), (4, 1), 1)
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [5, 6], [9, 10]])
    v.add_(100)
    assert t[5].item() == 105.0 and t[4].item() == 4.0 and t._version == 1
    with pytest.raises(IndexError, match="out of bounds for storage of size 48"):
        t.as_strided((3, 4), (4, 1), 1)
    with pytest.raises(Exception, match="Negative strides"):
        t.as_strided((2,), (-1,), 5)
    w = swiftnn.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    (w.as_strided((2, 2), (1, 1)) * swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 5.0, 4.0, 0.0])  # elements shared by two entries sum


def test_the_array_outlives_its_python_name_and_the_tensor_outlives_the_array(handles):
    t = swiftnn.from_numpy(np.full((1000,), 3.0, np.float32))
    gc.collect()
    assert float(t.sum().item()) == 3000.0  # the tensor keeps the array alive
    view = t.numpy()
    del t
    gc.collect()
    assert view.sum() == 3000.0  # the array keeps the tensor (and so the memory) alive
    del view


def test_read_only_arrays_are_shared_read_only_with_a_warning():
    from swiftnn._lib import check, lib
    a = np.arange(4, dtype=np.float32)
    a.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = swiftnn.from_numpy(a)
    b = t.numpy()
    assert np.shares_memory(a, b) and not b.flags.writeable
    z = swiftnn.zeros(4)
    with pytest.raises(ValueError, match="read-only"):  # the engine refuses in-place writes
        check(lib.snn_tensor_copy_(t._h, z._h))
    np.testing.assert_array_equal(a, [0, 1, 2, 3])
    assert float(t.sum().item()) == 6.0  # ops read it
    assert t.clone().numpy().flags.writeable  # and make new, writable tensors


def test_numpy_of_a_tensor_that_requires_grad_raises_as_pytorch():
    x = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    msg = r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."
    with pytest.raises(RuntimeError, match=msg):
        x.numpy()
    with pytest.raises(RuntimeError, match=msg):
        np.asarray(x)
    assert np.shares_memory(x.detach().numpy(), x.numpy(force=True))


def test_array_protocols_share_and_convert_only_on_request():
    t = swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    assert np.shares_memory(a, t.numpy()) and a.dtype == np.float32
    iface = t.__array_interface__
    assert iface["shape"] == (2, 2) and iface["typestr"] == "<f4" and iface["version"] == 3
    assert iface["data"][0] == a.ctypes.data and iface["data"][1] is False
    d = np.asarray(t, dtype=np.float64)  # another dtype: a converted copy
    assert d.dtype == np.float64 and not np.shares_memory(d, a)
    np.testing.assert_array_equal(d, [[1, 2], [3, 4]])
    assert not np.shares_memory(np.array(t), a)  # np.array copies by default
    np.testing.assert_array_equal(np.add(t, 1), [[2, 3], [4, 5]])


def test_an_array_from_the_interface_outlives_its_tensor(handles):
    t = swiftnn.full((3,), 2.0)  # engine-owned memory (malloc'd, reusable once freed)
    a = np.asarray(t)  # numpy keeps its own handle to the memory
    t.zero_()          # in place, as PyTorch: the array sees it
    np.testing.assert_array_equal(a, [0.0, 0.0, 0.0])
    del t
    gc.collect()
    junk = [swiftnn.full((3,), 9.0) for _ in range(100)]  # would reuse the memory, were it freed
    np.testing.assert_array_equal(a, [0.0, 0.0, 0.0])  # still the memory it was lent
    del a, junk


def test_transposed_arrays_are_shared_as_views():
    a = np.arange(6, dtype=np.float32).reshape(2, 3).T  # Fortran order
    t = swiftnn.from_numpy(a)
    assert tuple(t.shape) == (3, 2) and not t.is_contiguous()
    a[0, 1] = 100
    assert t.tolist()[0][1] == 100


@pytest.mark.parametrize("view", [lambda t: t.t(), lambda t: t[:, 1::2], lambda t: t[1:, ::3].t(), lambda t: t[:, 2],
                                  lambda t: t[:1].expand(4, 6)])
def test_numpy_of_a_strided_view_shares_its_memory_as_pytorch(view, handles):
    """torch's numpy() of a transpose, a stepped slice or an expand is a view with strides, not a
    copy: writes go both ways (issue 16's zero-copy exchange)."""
    base = swiftnn.arange(24, dtype=swiftnn.float32).reshape(4, 6)
    whole = base.numpy()
    v = view(base)
    a = v.numpy()
    assert not v.is_contiguous() and a.shape == tuple(v.shape)
    assert a.strides == tuple(s * 4 for s in v.stride())
    assert np.shares_memory(a, whole)
    np.testing.assert_array_equal(a, np.asarray(v.tolist(), dtype=np.float32))
    if 0 not in v.stride():  # an expand is read-only for in-place ops, as in PyTorch
        v.add_(1000)  # through the view: the array sees it where the view's elements are
        np.testing.assert_array_equal(a, np.asarray(v.tolist(), dtype=np.float32))
    else:
        base.add_(1000)  # through the base, for an expand
        np.testing.assert_array_equal(a, np.asarray(v.tolist(), dtype=np.float32))
    assert np.asarray(v).__array_interface__["data"][0] == a.__array_interface__["data"][0]
    del a, v, whole, base
    gc.collect()


def test_dlpack_of_a_strided_view_is_shared_with_numpy(handles):
    base = swiftnn.arange(12, dtype=swiftnn.float64).reshape(3, 4)
    v = base[:, 1::2].t()  # [2, 3], strides (2, 4)
    a = np.from_dlpack(v)
    assert a.shape == (2, 3) and a.strides == (16, 32)
    assert np.shares_memory(a, base.numpy())
    base.mul_(-1)  # the tensor writes, numpy's array (read-only for an unversioned capsule) sees it
    np.testing.assert_array_equal(a, -np.arange(12, dtype=np.float64).reshape(3, 4)[:, 1::2].T)
    back = swiftnn.from_dlpack(v.__dlpack__())  # our own capsule back: the same memory and strides
    assert back.stride() == (2, 4) and np.shares_memory(back.numpy(), base.numpy())
    del a, back, v, base
    gc.collect()


def test_tensor_constructor_copies_while_from_numpy_shares():
    a = np.array([1.0, 2.0], np.float32)
    t = swiftnn.tensor(a)
    a[0] = 9.0
    assert t.numpy()[0] == 1.0
    assert swiftnn.from_numpy(a).numpy()[0] == 9.0


def test_empty_and_scalar_arrays(handles):
    for a in (np.zeros((0, 3), np.float32), np.array(2.5), np.array(True)):
        t = swiftnn.from_numpy(a)
        assert tuple(t.shape) == a.shape and t.numpy().dtype == a.dtype
        np.testing.assert_array_equal(t.numpy(), a)


def test_unaligned_numpy_memory_works():
    raw = np.zeros(4 * 12 + 1, np.uint8)
    a = raw[1:].view(np.float32).reshape(3, 4)  # one byte off: not even 4-byte aligned
    a[:] = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = swiftnn.from_numpy(a)
    b = np.arange(8, dtype=np.float32).reshape(4, 2)
    np.testing.assert_array_equal((t @ swiftnn.from_numpy(b)).numpy(), a @ b)
