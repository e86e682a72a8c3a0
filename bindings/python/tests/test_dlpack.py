"""DLPack with numpy (>= 1.22) both ways and with ourselves: memory shared, lifetimes right
(either side may die first), a capsule consumed once, clear errors for what cannot be shared,
and live handles back to their baseline. The PyTorch round trip is in
tools/check_torch_interop.py (tests never import torch)."""
import ctypes
import gc

import numpy as np
import pytest

import swiftnn


@pytest.fixture
def handles():
    gc.collect()
    before = swiftnn.live_handles()
    yield
    gc.collect()
    assert swiftnn.live_handles() == before


def test_device_is_the_cpu():
    assert swiftnn.zeros(2).__dlpack_device__() == (1, 0)


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
def test_numpy_arrays_come_in_shared(np_dtype, handles):
    a = np.arange(12).reshape(3, 4).astype(np_dtype)
    t = swiftnn.from_dlpack(a)
    assert tuple(t.shape) == (3, 4) and t.numpy().dtype == np_dtype
    assert np.shares_memory(t.numpy(), a)
    a[2, 3] = 0
    assert t.numpy()[2, 3] == 0


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
def test_our_tensors_go_out_shared(np_dtype, handles):
    t = swiftnn.from_numpy(np.ones((2, 5), np_dtype))
    a = np.from_dlpack(t)
    assert a.dtype == np_dtype and a.shape == (2, 5) and np.shares_memory(a, t.numpy())
    del t
    gc.collect()
    assert a.sum() == 10  # numpy's array keeps our tensor alive
    del a


def test_round_trip_through_ourselves_and_either_side_may_die_first(handles):
    t = swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]])
    u = swiftnn.from_dlpack(t)
    assert np.shares_memory(t.numpy(), u.numpy())
    del t
    gc.collect()
    np.testing.assert_array_equal(u.numpy(), [[1, 2], [3, 4]])
    a = np.arange(6.0, dtype=np.float32)
    v = swiftnn.from_dlpack(a)
    del a
    gc.collect()
    np.testing.assert_array_equal(v.numpy(), np.arange(6.0))


def test_a_capsule_is_consumed_once(handles):
    cap = swiftnn.tensor([1.0, 2.0]).__dlpack__()
    t = swiftnn.from_dlpack(cap)
    assert ctypes.pythonapi.PyCapsule_IsValid(ctypes.py_object(cap), b"used_dltensor")
    with pytest.raises(RuntimeError, match="already consumed"):
        swiftnn.from_dlpack(cap)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    unused = swiftnn.zeros(3).__dlpack__()  # never consumed: its destructor gives the tensor back
    del unused, cap, t


def test_what_cannot_be_shared_is_a_clear_error(handles):
    with pytest.raises(TypeError, match=r"DLPack dtype \(code 2, bits 16, lanes 1\) is not supported"):
        swiftnn.from_dlpack(np.zeros(3, np.float16))
    with pytest.raises(TypeError, match="DLPack dtype .code 5, bits 64"):
        swiftnn.from_dlpack(np.zeros(3, np.complex64))
    with pytest.raises(NotImplementedError, match="negative stride"):
        swiftnn.from_dlpack(np.zeros((4, 4), np.float32)[:, ::-2])
    with pytest.raises(TypeError, match="expected an object with __dlpack__"):
        swiftnn.from_dlpack([1.0, 2.0])
    other = ctypes.pythonapi.PyCapsule_New
    other.restype, other.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    foreign = other(ctypes.c_void_p(8), b"not_a_tensor", None)
    with pytest.raises(TypeError, match="named b'not_a_tensor'"):
        swiftnn.from_dlpack(foreign)
    x = swiftnn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="require gradient"):
        x.__dlpack__()
    with pytest.raises(BufferError, match="stream"):
        swiftnn.zeros(1).__dlpack__(stream=3)


def test_a_failed_import_leaves_the_capsule_to_its_owner(handles):
    cap = np.zeros((4, 4), np.float32)[:, ::-2].__dlpack__()  # negative strides: refused
    with pytest.raises(NotImplementedError):
        swiftnn.from_dlpack(cap)
    assert ctypes.pythonapi.PyCapsule_IsValid(ctypes.py_object(cap), b"dltensor")  # not consumed
    del cap  # numpy's destructor frees it


def test_read_only_tensors_are_exported_as_copies_only_on_request(handles):
    a = np.arange(3, dtype=np.float32)
    a.flags.writeable = False
    with pytest.warns(UserWarning):
        t = swiftnn.from_numpy(a)
    with pytest.raises(BufferError, match="read-only"):
        t.__dlpack__(copy=False)
    b = np.from_dlpack(t)  # a copy by default, since DLPack cannot say read-only
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(b, a)


def test_strided_dlpack_capsules_are_shared_without_a_copy(handles):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    a = base[1:, ::2]
    t = swiftnn.from_dlpack(a)
    assert tuple(t.shape) == (3, 3) and t.stride() == (6, 2)
    np.testing.assert_array_equal(t.numpy(), a)
    t.fill_(-1)
    assert (base == -1).sum() == 9 and (a == -1).all()
    del t
