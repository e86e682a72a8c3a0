"""numpy and SwiftNN share memory, as torch.from_numpy and Tensor.numpy do: an array becomes a
tensor over its own buffer (snn_tensor_wrap, the array kept alive until the engine releases
it), and a tensor lends its buffer to an array (snn_tensor_data_ptr, the array holding a
handle). Nothing is converted: an unsupported dtype is a TypeError naming it."""
from __future__ import annotations

import ctypes
import itertools
import threading
import warnings
from typing import Any, Optional, Sequence

import numpy as np

from ._ffi import snn_release_fn
from ._lib import check, lib, shape_array
from .tensor import _DTYPES, Tensor, _wrap_new

# numpy dtype -> snn_dtype code, for the dtypes the engine stores (native byte order).
_CODES = {np.dtype(d.np): code for code, d in _DTYPES.items()}
_SUPPORTED = "float64, float32, int64, int32, uint8, and bool"

# Arrays lent to the engine, by the ctx their release callback receives. The callback runs on
# whatever thread frees the last reference (ctypes takes the GIL for it).
_lent: dict[int, object] = {}
_lent_lock = threading.Lock()
_next_key = itertools.count(1)


def _release(ctx: int) -> None:
    try:
        with _lent_lock:
            _lent.pop(ctx, None)
    except Exception:  # interpreter shutdown: the array goes with everything else
        pass


_release_fn = snn_release_fn(_release)
# The callback must outlive every tensor, including ones freed during interpreter shutdown
# after this module's globals are cleared: keep one reference that is never dropped.
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_release_fn))


def wrap(data_ptr: Optional[int], nbytes: int, shape: Sequence[int], code: int, readonly: bool, keep: object) -> Tensor:
    """A tensor over nbytes at data_ptr; `keep` (any object) lives until the engine releases
    the memory. On failure nothing is kept."""
    key = next(_next_key)
    with _lent_lock:
        _lent[key] = keep
    shp, nd = shape_array(shape)
    out = ctypes.c_void_p()
    fn = lib.snn_tensor_wrap_readonly if readonly else lib.snn_tensor_wrap
    status = fn(ctypes.byref(out), data_ptr, nbytes, shp, nd, code, _release_fn, key)
    if status != 0:
        _release(key)  # a failed wrap never calls release: drop the reference here
        check(status)
    return _wrap_new(out.value)


def from_numpy(a: np.ndarray[Any, Any]) -> Tensor:
    """torch.from_numpy: a tensor sharing `a`'s memory (writes through either are seen by the
    other; the array stays alive while the tensor does). float64, float32, int64, int32, uint8
    and bool arrays are supported; a read-only array is shared read-only with PyTorch's
    warning (the engine refuses in-place writes to it)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    code = _CODES.get(a.dtype) if a.dtype.isnative else None
    if code is None:
        if not a.dtype.isnative and a.dtype.newbyteorder("=") in _CODES:
            raise ValueError("given numpy array has byte order different from the native byte order. "
                             "Conversion between byte orders is currently not supported.")
        raise TypeError(f"can't convert np.ndarray of type numpy.{a.dtype.type.__name__}. "
                        f"The only supported types are: {_SUPPORTED}.")
    if any(s < 0 for s in a.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making "
                         "a copy of your array  with array.copy().) ")
    readonly = not a.flags.writeable
    if readonly:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
                      "SwiftNN shares it read-only: in-place writes to this tensor raise. You may want to copy "
                      "the array to protect its data or make it writable before converting it to a tensor.",
                      UserWarning, stacklevel=3)
    if a.flags.c_contiguous:
        return wrap(a.ctypes.data or None, a.nbytes, a.shape, code, readonly, a)
    # Strided memory (a[::2], a.T, a[:, 1]): the span the layout covers is shared as a flat
    # tensor and viewed with the array's strides (as_strided), so nothing is copied.
    item = a.itemsize
    if any(s % item for s in a.strides):
        raise ValueError(f"swiftnn.from_numpy: the array's strides {a.strides} are not multiples of its element "
                         f"size {item}, which SwiftNN cannot share; pass np.ascontiguousarray(a)")
    strides = [s // item for s in a.strides]
    span = 1 + sum((n - 1) * s for n, s in zip(a.shape, strides)) if a.size else 0
    flat = wrap(a.ctypes.data or None, span * item, (span,), code, readonly, a)
    return flat.as_strided(a.shape, strides, 0)


class _Lent:
    """The base of an array viewing a tensor: it holds its own handle to the tensor, so the
    memory stays valid while the array lives, whatever happens to the Tensor it came from."""

    __slots__ = ("_tensor", "__array_interface__")

    _tensor: Tensor
    __array_interface__: dict[str, Any]


def array_interface(t: Tensor, force: bool = False) -> dict[str, Any]:
    """Tensor.__array_interface__: numpy keeps `t` itself as the array's base, so `t` keeps
    its own second handle to the tensor whose memory it lent (in `_keep`, by address): the
    memory stays valid while the array lives even if `t` is later rebound to another engine
    tensor (the handle swap of zero_() and inplace=True activations)."""
    iface = _interface(t, force)
    keep = getattr(t, "_keep", None)
    if keep is None:
        keep = t._keep = {}
    if iface["data"][0] not in keep:
        ref = ctypes.c_void_p()
        check(lib.snn_tensor_ref(ctypes.byref(ref), t._h))
        keep[iface["data"][0]] = _wrap_new(ref.value)
    return iface


def _interface(t: Tensor, force: bool = False) -> dict[str, Any]:
    """numpy's __array_interface__ (version 3) for t's memory, lent while t's handle lives. A
    strided view (a transpose, a slice with a step, an expand) is lent with its strides, as
    torch's numpy() lends it: the array sees and writes the same elements."""
    if not force and t.requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    ptr = ctypes.c_void_p()
    check(lib.snn_tensor_strided_data_ptr(ctypes.byref(ptr), t._h))
    writable = ctypes.c_bool()
    check(lib.snn_tensor_is_writable(ctypes.byref(writable), t._h))
    contiguous = ctypes.c_bool(True)
    check(lib.snn_tensor_is_contiguous(ctypes.byref(contiguous), t._h))
    strides: Optional[tuple[int, ...]] = None
    if not contiguous.value:
        nd = len(t.shape)
        buf = (ctypes.c_int64 * max(nd, 1))()
        check(lib.snn_tensor_stride(buf, nd, t._h))
        strides = tuple(buf[i] * t.dtype.np.itemsize for i in range(nd))
    return {"version": 3, "shape": tuple(t.shape), "typestr": t.dtype.np.str,
            "data": (ptr.value or 0, not writable.value), "strides": strides}


def to_numpy(t: Tensor, force: bool = False) -> np.ndarray[Any, Any]:
    """Tensor.numpy(): an array sharing t's memory, strided views included (with their
    strides, as torch's). force=True also serves tensors that require grad (as torch's
    numpy(force=True), though the memory is still shared here)."""
    holder = _Lent()
    ref = ctypes.c_void_p()
    check(lib.snn_tensor_ref(ctypes.byref(ref), t._h))
    holder._tensor = _wrap_new(ref.value)
    holder.__array_interface__ = _interface(holder._tensor, force=force or not t.requires_grad)
    return np.asarray(holder)


def array(t: Tensor, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray[Any, Any]:
    """Tensor.__array__: the shared array, converted (a copy) only when dtype asks for it."""
    a = to_numpy(t)
    if dtype is not None and np.dtype(dtype) != a.dtype:
        if copy is False:
            raise ValueError(f"Unable to avoid copy while converting a {a.dtype} tensor to {np.dtype(dtype)}")
        return a.astype(dtype)
    return a.copy() if copy else a
