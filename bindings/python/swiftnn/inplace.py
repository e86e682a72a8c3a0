"""Strided views and in-place ops on Tensor, with PyTorch's names: stride(), storage_offset(),
is_contiguous(), contiguous(), view(), _version, .data, add_/sub_/mul_/div_/..., augmented
assignment (`p -= lr * p.grad` is in place, as in PyTorch) and t[...] = value. The rules
(leaf, broadcast, version counter) are the engine's (swiftnn/inplace.h)."""
from __future__ import annotations

import builtins as _builtins
import ctypes
import numbers
from typing import Any, Callable, Optional, Union, cast

import numpy as np

from ._lib import UnsupportedError, check, lib
from .shape import _doc, _getitem, _sizes, _int_array, _int
from ._typing import IntOrSize, Number, TensorOrNumber
from .dtypes import int64
from .tensor import Tensor, _as_tensor, _new, from_numpy


def _number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _binary_(scalar_fn: Callable[..., int], tensor_fn: Callable[..., int], with_alpha: bool) -> Callable[..., Tensor]:
    """An in-place method taking a tensor or a Python number (and alpha where PyTorch has it)."""
    if with_alpha:
        def method(self: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
            if _number(other):
                check(scalar_fn(self._h, float(other), float(alpha)))
            else:
                o = _as_tensor(other)  # held: a temporary's handle would be freed before the call
                check(tensor_fn(self._h, o._h, float(alpha)))
            return self
        return method
    return _binary_no_alpha_(scalar_fn, tensor_fn)


def _binary_no_alpha_(scalar_fn: Callable[..., int], tensor_fn: Callable[..., int]) -> Callable[..., Tensor]:
    """_binary_ for the methods without alpha (mul_, div_, pow_)."""
    def method(self: Tensor, other: TensorOrNumber) -> Tensor:
        if _number(other):
            check(scalar_fn(self._h, float(other)))
        else:
            o = _as_tensor(other)
            check(tensor_fn(self._h, o._h))
        return self
    return method


def _unary_(fn: Callable[..., int]) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        check(fn(self._h))
        return self
    return method


def _clamp_(self: Tensor, min: Optional[Number] = None,  # noqa: A002 (torch's names)
            max: Optional[Number] = None) -> Tensor:  # noqa: A002
    """self limited to [min, max] in place (clamp_ and clip_); either bound may be None, not both."""
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must not be None")
    check(lib.snn_tensor_clamp_(self._h, 0.0 if min is None else float(min), 0.0 if max is None else float(max),
                                min is not None, max is not None))
    return self


def _fill_(self: Tensor, value: Number) -> Tensor:
    """Fills self with value, in place."""
    check(lib.snn_tensor_fill_(self._h, float(value)))
    return self


def _copy_(self: Tensor, src: TensorOrNumber, non_blocking: bool = False) -> Tensor:
    """Copies src's values into self (broadcast, converted to self's dtype), in place."""
    s = _as_tensor(src)
    check(lib.snn_tensor_copy_(self._h, s._h))
    return self


def _stride(self: Tensor, dim: Optional[int] = None) -> Union[int, tuple[int, ...]]:
    """The step in elements between neighbours along each dimension, or along `dim`."""
    n = self.ndim
    buf = (ctypes.c_int64 * _builtins.max(n, 1))()
    check(lib.snn_tensor_stride(buf, n, self._h))
    strides = tuple(buf[i] for i in range(n))
    if dim is None:
        return strides
    d = _int(dim, "stride", "dim")
    if not -_builtins.max(n, 1) <= d < _builtins.max(n, 1):
        raise IndexError(f"stride: dimension {d} out of range for a tensor of rank {n}")
    return strides[d]


def _int64_out(fn: Callable[..., int]) -> Callable[[Tensor], int]:
    def get(self: Tensor) -> int:
        v = ctypes.c_int64()
        check(fn(ctypes.byref(v), self._h))
        return v.value
    return get


def _is_contiguous(self: Tensor, memory_format: Any = None) -> bool:
    """Whether the elements are laid out row-major without gaps."""
    v = ctypes.c_bool()
    check(lib.snn_tensor_is_contiguous(ctypes.byref(v), self._h))
    return v.value


def _view(self: Tensor, *shape: IntOrSize) -> Tensor:
    """A view of the same storage in a new shape (torch.Tensor.view; needs compatible strides)."""
    arr, n = _int_array(_sizes(shape, "view"), "view", "size")
    return _new(lib.snn_tensor_view, self._h, arr, n)


def _shares_storage(a: Tensor, b: Tensor) -> bool:
    v = ctypes.c_bool()
    check(lib.snn_tensor_shares_storage(ctypes.byref(v), a._h, b._h))
    return v.value


# ---- t[key] = value ----------------------------------------------------------------------

def _is_advanced(k: Any) -> bool:
    return isinstance(k, (list, np.ndarray)) or (isinstance(k, Tensor) and (k.ndim > 0 or k.dtype is not int64))


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    """t[key] = value in place: ints, slices (with steps), Ellipsis and None select a view that
    value is copied into (broadcast, converted); a bool mask of t's shape or one int64 index
    tensor / list writes the selected elements (swiftnn/inplace.h). Values convert to t's dtype."""
    keys = key if isinstance(key, tuple) else (key,)
    advanced = [i for i, k in enumerate(keys) if _is_advanced(k)]
    if not advanced:
        target = _getitem(self, key)
        target.copy_(value)
        return
    if len(advanced) > 1:
        raise UnsupportedError("__setitem__: at most one list, mask or tensor index is supported")
    k = keys[advanced[0]]
    mask: Union[Tensor, np.ndarray[Any, Any], None] = None
    if isinstance(k, Tensor) and k.dtype.name == "bool":
        mask = k
    elif isinstance(k, (list, np.ndarray)) and np.asarray(k).dtype == np.bool_:
        mask = np.asarray(k)
    if mask is not None:
        if len(keys) != 1:
            raise UnsupportedError("__setitem__: a boolean mask must be the only index")
        if tuple(mask.shape) != tuple(self.shape):
            # PyTorch raises IndexError here (the engine's check is a ShapeError).
            if mask.ndim != self.ndim:
                raise IndexError(f"__setitem__: a boolean mask must have the tensor's shape {list(self.shape)}, got "
                                 f"{list(mask.shape)} (masks over leading dimensions only are not supported)")
            i = next(d for d, (a, b) in enumerate(zip(mask.shape, self.shape)) if a != b)
            raise IndexError(f"__setitem__: The shape of the mask {list(mask.shape)} at index {i} does not match the "
                             f"shape of the indexed tensor {list(self.shape)} at index {i}")
        src = _as_tensor(value)
        m = mask if isinstance(mask, Tensor) else from_numpy(np.ascontiguousarray(mask))
        check(lib.snn_tensor_masked_scatter_(self._h, m._h, src._h))
        return
    # One int64 index: the basic indices before it select a view, the index works along its dim.
    before = keys[:advanced[0]]
    if any(x is Ellipsis or x is None for x in keys[advanced[0] + 1:]) or \
            not all(isinstance(x, slice) and x == slice(None) for x in keys[advanced[0] + 1:]):
        raise UnsupportedError("__setitem__: only full slices (:) may follow a list or tensor index")
    view = _getitem(self, before) if before else self
    dim = _builtins.sum(1 for x in before if x is not None and not isinstance(x, numbers.Integral)
                        and x is not Ellipsis) + _builtins.sum(1 for x in before if x is None)
    if any(x is Ellipsis for x in before):
        raise UnsupportedError("__setitem__: Ellipsis before a list or tensor index is not supported")
    idx = k if isinstance(k, Tensor) else from_numpy(np.asarray(k, dtype=np.int64))
    if idx.ndim > 1:
        raise UnsupportedError("__setitem__: a tensor index must be a vector (rank 0 or 1)")
    values = _as_tensor(value)
    check(lib.snn_tensor_index_put_(view._h, dim, idx._h, values._h))


def _data(self: Tensor) -> Tensor:
    """A tensor sharing this one's storage, detached from the graph (PyTorch's .data). Unlike
    PyTorch's, it shares the version counter too (SwiftNN's counter belongs to the storage)."""
    return self.detach()


def _set_data(self: Tensor, value: Any) -> None:
    """t.data = other: the values of `other` (same shape) written into t's storage without
    recording, which is what `w.data -= lr * w.grad` needs."""
    from .autograd import no_grad
    with no_grad():  # an alias of t (w.data -= x hands back w.data itself) copies onto itself
        self.detach().copy_(_as_tensor(value))


class _GradFn:
    """What t.grad_fn returns for a recorded tensor: the node's name (PyTorch's class name,
    without the trailing version number)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object>"


def _grad_fn(self: Tensor) -> Optional[_GradFn]:
    """The autograd node that made this tensor (its name()), or None for a leaf."""
    from ._handles import read_string
    name = read_string(lib.snn_tensor_grad_fn_name, self._h)
    return _GradFn(name) if name else None


def _masked_fill_(self: Tensor, mask: Tensor, value: TensorOrNumber) -> Tensor:
    """value where mask is true, in place."""
    check(lib.snn_tensor_masked_fill_(self._h, _as_tensor(mask)._h, float(value.item() if isinstance(value, Tensor) else value)))
    return self


def _scatter_(self: Tensor, dim: int, index: Tensor, src: Optional[TensorOrNumber] = None,
              value: Optional[Number] = None, *, reduce: Optional[str] = None) -> Tensor:
    """src (or value) written at index along dim, in place."""
    if reduce is not None:
        raise NotImplementedError("swiftnn: scatter_(reduce=) is not supported (use scatter_add_ for 'add')")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is not None:
        check(lib.snn_tensor_scatter_(self._h, int(dim), _as_tensor(index)._h, src._h))
    else:
        check(lib.snn_tensor_scatter_value_(self._h, int(dim), _as_tensor(index)._h,
                                            float(cast(Number, value))))  # None: float() raises, as before
    return self


def _scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """src added at index along dim, in place."""
    check(lib.snn_tensor_scatter_add_(self._h, int(dim), _as_tensor(index)._h, _as_tensor(src)._h))
    return self


def _index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Number = 1) -> Tensor:
    """alpha * source's slices added at the slices index along dim, in place."""
    check(lib.snn_tensor_index_add_(self._h, int(dim), _as_tensor(index)._h, _as_tensor(source)._h, float(alpha)))
    return self


def _install() -> None:
    T: Any = Tensor  # installs what _tensor_methods.py declares
    T.masked_fill_ = _masked_fill_
    T.scatter_ = _scatter_
    T.scatter_add_ = _scatter_add_
    T.index_add_ = _index_add_
    T.add_ = _doc(_binary_(lib.snn_tensor_add_scalar_, lib.snn_tensor_add_, True), "self += alpha * other, in place.")
    T.sub_ = _doc(_binary_(lib.snn_tensor_sub_scalar_, lib.snn_tensor_sub_, True), "self -= alpha * other, in place.")
    T.mul_ = _doc(_binary_(lib.snn_tensor_mul_scalar_, lib.snn_tensor_mul_, False), "self *= other, in place.")
    T.div_ = _doc(_binary_(lib.snn_tensor_div_scalar_, lib.snn_tensor_div_, False), "self /= other, in place.")
    T.pow_ = _doc(_binary_(lib.snn_tensor_pow_scalar_, lib.snn_tensor_pow_, False), "self **= exponent, in place.")
    T.__iadd__ = lambda self, o: self.add_(o)
    T.__isub__ = lambda self, o: self.sub_(o)
    T.__imul__ = lambda self, o: self.mul_(o)
    T.__itruediv__ = lambda self, o: self.div_(o)
    T.clamp_ = _clamp_
    T.clip_ = _clamp_
    T.neg_ = _doc(_unary_(lib.snn_tensor_neg_), "self = -self, in place.")
    T.exp_ = _doc(_unary_(lib.snn_tensor_exp_), "self = exp(self), in place.")
    T.relu_ = _doc(_unary_(lib.snn_tensor_relu_), "self = max(self, 0), in place.")
    T.sigmoid_ = _doc(_unary_(lib.snn_tensor_sigmoid_), "self = sigmoid(self), in place.")
    T.tanh_ = _doc(_unary_(lib.snn_tensor_tanh_), "self = tanh(self), in place.")
    T.fill_ = _fill_
    T.zero_ = _doc(_unary_(lib.snn_tensor_zero_), "Fills self with zeros, in place.")
    T.copy_ = _copy_
    T.__setitem__ = _setitem
    T.data = property(_data, _set_data)
    T.grad_fn = property(_grad_fn)
    T.stride = _stride
    T.storage_offset = _doc(_int64_out(lib.snn_tensor_storage_offset),
                            "Where this view starts in its storage, in elements.")
    T._version = property(_int64_out(lib.snn_tensor_version))
    T.is_contiguous = _is_contiguous
    T.contiguous = _doc(lambda self, memory_format=None: (self if self.is_contiguous()
                                                          else _new(lib.snn_tensor_contiguous, self._h)),
                        "self if contiguous, else a contiguous copy (torch.Tensor.contiguous).")
    T.view = _view
    T.view_as = _doc(lambda self, other: _view(self, tuple(other.shape)), "view with other's shape.")
    T._shares_storage = _shares_storage


_install()
