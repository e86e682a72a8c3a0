"""Shape ops with PyTorch's names -- reshape/view, flatten, squeeze, unsqueeze, transpose, permute,
expand, narrow, select, index_select, cat, stack -- their Tensor methods, and t[...] indexing.
Each is an engine op (swiftnn/shape.h), so gradients flow through all of them."""
from __future__ import annotations

import builtins as _builtins
import ctypes
import numbers
import operator
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, SupportsIndex, Union, cast

import numpy as np

from ._lib import OutOfRangeError, ShapeError, UnsupportedError, lib
from ._typing import IntOrSize
from .dtypes import int64
from .tensor import Tensor, _new, from_numpy

_I64_MIN, _I64_MAX = -2**63, 2**63 - 1


def _int(v: Any, fn: str, what: str) -> int:
    """An int argument that fits int64 (ctypes would silently truncate a larger one)."""
    if isinstance(v, bool):
        raise TypeError(f"{fn}: {what} must be an integer, got bool")
    try:
        i = operator.index(v)
    except TypeError:
        raise TypeError(f"{fn}: {what} must be an integer, got {type(v).__name__}") from None
    if not _I64_MIN <= i <= _I64_MAX:
        raise OutOfRangeError(f"{fn}: {what} {i} does not fit in int64")
    return i


def _int_array(values: Iterable[Any], fn: str, what: str) -> tuple[Any, int]:
    vals = [_int(v, fn, what) for v in values]
    return (ctypes.c_int64 * _builtins.max(len(vals), 1))(*vals), len(vals)


def _sizes(args: Sequence[Any], fn: str) -> list[Any]:
    """reshape(2, -1), reshape((2, -1)), reshape([2, -1]), reshape(Size) -> list of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return list(args)


def _clamp64(i: int) -> int:
    return _builtins.min(_builtins.max(i, _I64_MIN), _I64_MAX)


# ---- same elements, new shape (views) -----------------------------------------------------

def reshape(input: Tensor, shape: IntOrSize) -> Tensor:
    """torch.reshape: one size may be -1. Shares storage with `input`."""
    sizes = [shape] if isinstance(shape, (int, numbers.Integral)) else list(shape)  # int named for type checkers
    arr, n = _int_array(sizes, "reshape", "size")
    return _new(lib.snn_tensor_reshape, input._h, arr, n)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """torch.flatten: dimensions start_dim..end_dim merged into one."""
    return _new(lib.snn_tensor_flatten, input._h, _int(start_dim, "flatten", "start_dim"),
                _int(end_dim, "flatten", "end_dim"))


def squeeze(input: Tensor, dim: Optional[IntOrSize] = None) -> Tensor:
    """torch.squeeze: every size-1 dimension, or only those in `dim` (an int or a tuple)."""
    if dim is None:
        return _new(lib.snn_tensor_squeeze, input._h, None, 0)
    dims = (dim,) if isinstance(dim, (int, numbers.Integral)) else tuple(dim)
    if not dims:  # squeeze(()) squeezes nothing, unlike "all" (ndims = 0 in C)
        return reshape(input, input.shape)
    arr, n = _int_array(dims, "squeeze", "dim")
    return _new(lib.snn_tensor_squeeze, input._h, arr, n)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """torch.unsqueeze: a size-1 dimension inserted at `dim` (negative counts from the end)."""
    return _new(lib.snn_tensor_unsqueeze, input._h, _int(dim, "unsqueeze", "dim"))


# ---- reordering and repeating (copies) ----------------------------------------------------

def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """torch.transpose (swapaxes, swapdims): dimensions dim0 and dim1 exchanged."""
    return _new(lib.snn_tensor_transpose, input._h, _int(dim0, "transpose", "dim0"), _int(dim1, "transpose", "dim1"))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """torch.t: a 2-D tensor transposed; 0-D and 1-D tensors unchanged."""
    if input.ndim > 2:
        raise ShapeError(f"t: expects a tensor with <= 2 dimensions, but got shape {list(input.shape)}")
    return transpose(input, 0, -1)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """torch.permute: the dimensions in the order `dims` (a permutation of range(ndim))."""
    arr, n = _int_array(dims, "permute", "dim")
    return _new(lib.snn_tensor_permute, input._h, arr, n)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """torch.broadcast_to / Tensor.expand: -1 keeps a size; the gradient sums over repeats."""
    arr, n = _int_array(list(size), "expand", "size")
    return _new(lib.snn_tensor_expand, input._h, arr, n)


# ---- indexing -----------------------------------------------------------------------------

def _slice_dim(input: Tensor, dim: int, start: Any = None, stop: Any = None, step: Any = None) -> Tensor:
    """input[..., start:stop:step, ...] on `dim` (Python's clamping; step >= 1)."""
    fn = "slice"
    s = 0 if start is None else _clamp64(_index(start, fn, "start"))
    e = _I64_MAX if stop is None else _clamp64(_index(stop, fn, "stop"))
    st = 1 if step is None else _clamp64(_index(step, fn, "step"))
    return _new(lib.snn_tensor_slice, input._h, dim, s, e, st)


def _index(v: Any, fn: str, what: str) -> int:
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{fn}: {what} must be an integer or None, got {type(v).__name__}")
    return int(v)


def narrow(input: Tensor, dim: int, start: Union[int, Tensor], length: int) -> Tensor:
    """torch.narrow: `length` entries from `start` (which may be negative) along `dim`; unlike
    slicing, the range must lie inside the dimension."""
    dim, start, length = _int(dim, "narrow", "dim"), _int(start, "narrow", "start"), _int(length, "narrow", "length")
    shape = list(input.shape)
    if not shape:
        raise OutOfRangeError("narrow: cannot narrow a 0-dim tensor (shape [])")
    if not -len(shape) <= dim < len(shape):
        raise OutOfRangeError(f"narrow: dimension {dim} out of range for a tensor of shape {shape} "
                              f"(expected {-len(shape)}...{len(shape) - 1})")
    size = shape[dim]
    if not -size <= start <= size:
        raise OutOfRangeError(f"narrow: start {start} out of range for dimension {dim} of size {size} (tensor of shape {shape})")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise OutOfRangeError(f"narrow: start ({start}) + length ({length}) exceeds dimension {dim} of size {size} "
                              f"(tensor of shape {shape})")
    return _new(lib.snn_tensor_slice, input._h, dim, start, start + length, 1)


def select(input: Tensor, dim: int, index: SupportsIndex) -> Tensor:
    """torch.select: the entries at `index` along `dim`, that dimension removed."""
    return _new(lib.snn_tensor_select, input._h, _int(dim, "select", "dim"), _int(index, "select", "index"))


def _index_tensor(index: Any) -> Tensor:
    if isinstance(index, Tensor):
        return index
    a = np.asarray(index)
    if a.size == 0:
        a = a.astype(np.int64)
    return from_numpy(a)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """torch.index_select: `index` is an int64 tensor (or a list of ints) of rank 0 or 1."""
    idx = _index_tensor(index)  # referenced until the call returns
    return _new(lib.snn_tensor_index_select, input._h, _int(dim, "index_select", "dim"), idx._h)


# ---- joining ------------------------------------------------------------------------------

def _handles(tensors: Sequence[Tensor], fn: str) -> tuple[Any, int]:
    ts = list(tensors)
    for i, x in enumerate(ts):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}: expected a sequence of swiftnn Tensors, element {i} is {type(x).__name__}")
    return (ctypes.c_void_p * _builtins.max(len(ts), 1))(*[x._h for x in ts]), len(ts)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """torch.cat: along an existing dimension."""
    arr, n = _handles(tensors, "cat")
    return _new(lib.snn_tensor_cat, arr, n, _int(dim, "cat", "dim"))


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """torch.stack: along a new dimension."""
    arr, n = _handles(tensors, "stack")
    return _new(lib.snn_tensor_stack, arr, n, _int(dim, "stack", "dim"))


# ---- t[...] -------------------------------------------------------------------------------

def _advanced(x: Tensor, d: int, key: Any) -> tuple[Tensor, int]:
    """x indexed on dimension d by a list / array / int64 tensor of indices (any rank):
    negative indices wrap; the index's dimensions replace dimension d."""
    shape = list(x.shape)
    if isinstance(key, Tensor):
        if key.dtype is not int64:
            # the engine rejects it with a dtype error (so nothing is returned)
            return cast("tuple[Tensor, int]", index_select(x, d, key))
        idx = key.numpy()
    else:
        idx = np.asarray(key)
        if idx.size == 0:
            idx = idx.astype(np.int64)
        if idx.dtype.kind == "b":
            raise UnsupportedError("__getitem__: boolean mask indexing is not supported")
        if idx.dtype.kind not in "iu":
            raise IndexError(f"__getitem__: tensors and lists used as indices must hold integers, got {idx.dtype}")
        idx = idx.astype(np.int64)
    size = shape[d]
    bad = (idx < -size) | (idx >= size)
    if bad.any():
        v = int(idx[bad].flat[0])
        raise OutOfRangeError(f"__getitem__: index {v} is out of range for dimension {d} of size {size} "
                              f"(tensor of shape {shape})")
    idx = np.where(idx < 0, idx + size, idx)
    if idx.ndim == 0:
        return select(x, d, int(idx)), 0
    out = index_select(x, d, from_numpy(idx.reshape(-1)))
    if idx.ndim != 1:
        out = reshape(out, shape[:d] + list(idx.shape) + shape[d + 1:])
    return out, idx.ndim


def _getitem(self: Tensor, key: Any) -> Tensor:
    """t[...]: ints (negative allowed), slices with positive steps, Ellipsis, None (new axis),
    and one list / int64 tensor of indices; each step is an engine op so gradients flow."""
    if not isinstance(key, tuple):
        key = (key,)
    ndim = self.ndim
    if _builtins.sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("__getitem__: an index can only have a single ellipsis ('...')")
    used = _builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > ndim:
        raise OutOfRangeError(f"__getitem__: too many indices ({used}) for a tensor of shape {list(self.shape)}")
    if _builtins.sum(1 for k in key if isinstance(k, (list, np.ndarray)) or
                     (isinstance(k, Tensor) and (k.ndim > 0 or k.dtype is not int64))) > 1:
        raise UnsupportedError("__getitem__: at most one list or tensor index is supported "
                               "(index one dimension at a time with index_select)")
    x, d = self, 0
    for k in key:
        if k is None:
            x = unsqueeze(x, d)
            d += 1
        elif k is Ellipsis:
            d += ndim - used
        elif isinstance(k, bool):
            raise UnsupportedError("__getitem__: boolean indices are not supported")
        elif isinstance(k, numbers.Integral):
            x = select(x, d, k)
        elif isinstance(k, _builtins.slice):
            if not (k.start is None and k.stop is None and k.step is None):
                x = _slice_dim(x, d, k.start, k.stop, k.step)
            d += 1
        elif isinstance(k, Tensor) and k.ndim == 0 and k.dtype is int64:
            x = select(x, d, cast(int, k.item()))  # an int64 scalar
        elif isinstance(k, (Tensor, list, np.ndarray)):
            x, n = _advanced(x, d, k)
            d += n
        else:
            raise IndexError(f"__getitem__: only integers, slices, Ellipsis, None and int64 tensors or lists "
                             f"of integers are valid indices (got {type(k).__name__})")
    if x is self:  # t[:] or t[...]: a new tensor in the graph, like PyTorch's view
        x = reshape(self, self.shape)
    return x


def _iter(self: Tensor) -> Iterator[Tensor]:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    for i in range(len(self)):
        yield select(self, 0, i)


# ---- Tensor methods -----------------------------------------------------------------------

def _doc(f: Callable[..., Any], doc: str) -> Any:
    """f with `doc` as its docstring: the Tensor methods below are one-line lambdas."""
    f.__doc__ = doc
    return f


def _methods() -> None:
    T: Any = Tensor  # installs what _tensor_methods.py declares
    T.reshape = _doc(lambda self, *shape: reshape(self, _sizes(shape, "reshape")),
                     "This tensor's data in a new shape: t.reshape(2, -1) or t.reshape((2, -1)) (torch.reshape).")
    T.view = _doc(lambda self, *shape: reshape(self, _sizes(shape, "view")), "As reshape (a view of the same data).")
    T.reshape_as = _doc(lambda self, other: reshape(self, other.shape), "reshape to other's shape.")
    T.view_as = _doc(lambda self, other: reshape(self, other.shape), "view with other's shape.")
    T.flatten = _doc(lambda self, start_dim=0, end_dim=-1: flatten(self, start_dim, end_dim),
                     "Dimensions start_dim..end_dim merged into one (torch.flatten).")
    T.squeeze = _doc(lambda self, dim=None: squeeze(self, dim),
                     "Without the size-1 dimensions, or only those in `dim` (torch.squeeze).")
    T.unsqueeze = _doc(lambda self, dim: unsqueeze(self, dim),
                       "A size-1 dimension inserted at `dim` (torch.unsqueeze).")
    T.transpose = _doc(lambda self, dim0, dim1: transpose(self, dim0, dim1),
                       "Dimensions dim0 and dim1 swapped (torch.transpose; swapaxes and swapdims too).")
    T.swapaxes = T.swapdims = T.transpose
    T.t = _doc(lambda self: t(self), "A 2-D tensor transposed; 0-D and 1-D unchanged (torch.t).")
    T.T = property(_doc(lambda self: permute(self, list(range(self.ndim))[::-1]),
                        "The dimensions reversed (the transpose of a 2-D tensor)."))
    T.permute = _doc(lambda self, *dims: permute(self, _sizes(dims, "permute")),
                     "The dimensions reordered: t.permute(2, 0, 1) (torch.permute).")
    T.expand = _doc(lambda self, *sizes: broadcast_to(self, _sizes(sizes, "expand")),
                    "Size-1 dimensions repeated to `sizes` (-1 keeps a size), as torch.Tensor.expand.")
    T.expand_as = _doc(lambda self, other: broadcast_to(self, other.shape), "expand to other's shape.")
    T.narrow = _doc(lambda self, dim, start, length: narrow(self, dim, start, length),
                    "length entries from start along dim (torch.narrow).")
    T.select = _doc(lambda self, dim, index: select(self, dim, index),
                    "The slice at `index` along dim, without that dimension (torch.select).")
    T.index_select = _doc(lambda self, dim, index: index_select(self, dim, index),
                          "The entries at the int64 `index` along dim (torch.index_select).")
    T.contiguous = lambda self: self  # every SwiftNN tensor is contiguous
    T.is_contiguous = lambda self: True
    T.__getitem__ = _getitem
    T.__iter__ = _iter


_methods()
