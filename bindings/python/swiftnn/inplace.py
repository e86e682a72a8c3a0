"""Strided views and in-place ops on Tensor, with PyTorch's names: stride(), storage_offset(),
is_contiguous(), contiguous(), view(), _version, .data, add_/sub_/mul_/div_/..., augmented
assignment (`p -= lr * p.grad` is in place, as in PyTorch) and t[...] = value. The rules
(leaf, broadcast, version counter) are the engine's (swiftnn/inplace.h)."""
import builtins as _builtins
import ctypes
import numbers

import numpy as np

from ._lib import UnsupportedError, check, lib
from .shape import _getitem, _sizes, _int_array, _int
from .tensor import Tensor, _as_tensor, _new, from_numpy, int64


def _number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _binary_(scalar_fn, tensor_fn, with_alpha):
    """An in-place method taking a tensor or a Python number (and alpha where PyTorch has it)."""
    if with_alpha:
        def method(self, other, *, alpha=1):
            if _number(other):
                check(scalar_fn(self._h, float(other), float(alpha)))
            else:
                o = _as_tensor(other)  # held: a temporary's handle would be freed before the call
                check(tensor_fn(self._h, o._h, float(alpha)))
            return self
    else:
        def method(self, other):
            if _number(other):
                check(scalar_fn(self._h, float(other)))
            else:
                o = _as_tensor(other)
                check(tensor_fn(self._h, o._h))
            return self
    return method


def _unary_(fn):
    def method(self):
        check(fn(self._h))
        return self
    return method


def _clamp_(self, min=None, max=None):  # noqa: A002 (torch's names)
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must not be None")
    check(lib.snn_tensor_clamp_(self._h, 0.0 if min is None else float(min), 0.0 if max is None else float(max),
                                min is not None, max is not None))
    return self


def _fill_(self, value):
    check(lib.snn_tensor_fill_(self._h, float(value)))
    return self


def _copy_(self, src, non_blocking=False):
    s = _as_tensor(src)
    check(lib.snn_tensor_copy_(self._h, s._h))
    return self


def _stride(self, dim=None):
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


def _int64_out(fn):
    def get(self):
        v = ctypes.c_int64()
        check(fn(ctypes.byref(v), self._h))
        return v.value
    return get


def _is_contiguous(self, memory_format=None):
    v = ctypes.c_bool()
    check(lib.snn_tensor_is_contiguous(ctypes.byref(v), self._h))
    return v.value


def _view(self, *shape):
    arr, n = _int_array(_sizes(shape, "view"), "view", "size")
    return _new(lib.snn_tensor_view, self._h, arr, n)


def _shares_storage(a, b):
    v = ctypes.c_bool()
    check(lib.snn_tensor_shares_storage(ctypes.byref(v), a._h, b._h))
    return v.value


# ---- t[key] = value ----------------------------------------------------------------------

def _is_advanced(k):
    return isinstance(k, (list, np.ndarray)) or (isinstance(k, Tensor) and (k.ndim > 0 or k.dtype is not int64))


def _setitem(self, key, value):
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
    mask = None
    if isinstance(k, Tensor) and k.dtype.name == "bool":
        mask = k
    elif isinstance(k, (list, np.ndarray)) and np.asarray(k).dtype == np.bool_:
        mask = np.asarray(k)
    if mask is not None:
        if len(keys) != 1:
            raise UnsupportedError("__setitem__: a boolean mask must be the only index")
        if tuple(mask.shape) != tuple(self.shape):
            raise IndexError(f"__setitem__: the shape of the mask {list(mask.shape)} must match the shape "
                             f"of the tensor {list(self.shape)}")
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


def _data(self):
    """A tensor sharing this one's storage, detached from the graph (PyTorch's .data). Unlike
    PyTorch's, it shares the version counter too (SwiftNN's counter belongs to the storage)."""
    return self.detach()


def _masked_fill_(self, mask, value):
    check(lib.snn_tensor_masked_fill_(self._h, _as_tensor(mask)._h, float(value.item() if isinstance(value, Tensor) else value)))
    return self


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    if reduce is not None:
        raise NotImplementedError("swiftnn: scatter_(reduce=) is not supported (use scatter_add_ for 'add')")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is not None:
        check(lib.snn_tensor_scatter_(self._h, int(dim), _as_tensor(index)._h, src._h))
    else:
        check(lib.snn_tensor_scatter_value_(self._h, int(dim), _as_tensor(index)._h, float(value)))
    return self


def _scatter_add_(self, dim, index, src):
    check(lib.snn_tensor_scatter_add_(self._h, int(dim), _as_tensor(index)._h, _as_tensor(src)._h))
    return self


def _index_add_(self, dim, index, source, *, alpha=1):
    check(lib.snn_tensor_index_add_(self._h, int(dim), _as_tensor(index)._h, _as_tensor(source)._h, float(alpha)))
    return self


def _install():
    T = Tensor
    T.masked_fill_ = _masked_fill_
    T.scatter_ = _scatter_
    T.scatter_add_ = _scatter_add_
    T.index_add_ = _index_add_
    T.add_ = _binary_(lib.snn_tensor_add_scalar_, lib.snn_tensor_add_, True)
    T.sub_ = _binary_(lib.snn_tensor_sub_scalar_, lib.snn_tensor_sub_, True)
    T.mul_ = _binary_(lib.snn_tensor_mul_scalar_, lib.snn_tensor_mul_, False)
    T.div_ = _binary_(lib.snn_tensor_div_scalar_, lib.snn_tensor_div_, False)
    T.pow_ = _binary_(lib.snn_tensor_pow_scalar_, lib.snn_tensor_pow_, False)
    T.__iadd__ = lambda self, o: self.add_(o)
    T.__isub__ = lambda self, o: self.sub_(o)
    T.__imul__ = lambda self, o: self.mul_(o)
    T.__itruediv__ = lambda self, o: self.div_(o)
    T.clamp_ = _clamp_
    T.clip_ = _clamp_
    T.neg_ = _unary_(lib.snn_tensor_neg_)
    T.exp_ = _unary_(lib.snn_tensor_exp_)
    T.relu_ = _unary_(lib.snn_tensor_relu_)
    T.sigmoid_ = _unary_(lib.snn_tensor_sigmoid_)
    T.tanh_ = _unary_(lib.snn_tensor_tanh_)
    T.fill_ = _fill_
    T.zero_ = _unary_(lib.snn_tensor_zero_)
    T.copy_ = _copy_
    T.__setitem__ = _setitem
    T.data = property(_data)
    T.stride = _stride
    T.storage_offset = _int64_out(lib.snn_tensor_storage_offset)
    T._version = property(_int64_out(lib.snn_tensor_version))
    T.is_contiguous = _is_contiguous
    T.contiguous = lambda self, memory_format=None: self if self.is_contiguous() else _new(lib.snn_tensor_contiguous, self._h)
    T.view = _view
    T.view_as = lambda self, other: _view(self, tuple(other.shape))
    T._shares_storage = _shares_storage


_install()
