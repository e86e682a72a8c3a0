"""Reductions beyond sum/mean, with PyTorch's names: max and min (torch.max(t) -> tensor,
torch.max(t, dim, keepdim) -> (values, indices)), amax, amin, argmax, argmin, softmax,
log_softmax, logsumexp, var and std, plus their Tensor methods (t.max(1), t.softmax(-1), ...)."""
import builtins as _builtins
import collections
import ctypes
import operator

from ._lib import check, lib
from .tensor import Tensor, _dims, _new

# torch.return_types.max / min: a tuple that also has .values and .indices.
max_result = collections.namedtuple("max", ["values", "indices"])
min_result = collections.namedtuple("min", ["values", "indices"])


def _tensor(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"swiftnn.{fn}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    return x


def _dim(dim, fn):
    try:
        return operator.index(dim)
    except TypeError:
        raise TypeError(f"swiftnn.{fn}(): dim must be an int, not {type(dim).__name__}") from None


def _extreme(c_dim, c_all, result, fn, input, dim, keepdim):
    input = _tensor(input, fn)
    if isinstance(dim, Tensor):
        raise NotImplementedError(f"swiftnn.{fn}(input, other) (elementwise {fn}imum) is not supported; "
                                  f"reduce with swiftnn.{fn}(input) or swiftnn.{fn}(input, dim)")
    if dim is None:
        if keepdim:
            raise TypeError(f"swiftnn.{fn}(): keepdim needs a dim (use swiftnn.a{fn}(input, keepdim=True))")
        return _new(c_all, input._h, None, 0, False)
    values, indices = ctypes.c_void_p(), ctypes.c_void_p()
    check(c_dim(ctypes.byref(values), ctypes.byref(indices), input._h, _dim(dim, fn), bool(keepdim)))
    return result(Tensor._wrap(values.value), Tensor._wrap(indices.value))


def max(input, dim=None, keepdim=False):
    """torch.max: the largest element (0-d), or along `dim` the named tuple (values, indices)
    (first index on ties). The gradient flows to the selected elements."""
    return _extreme(lib.snn_tensor_max_dim, lib.snn_tensor_amax, max_result, "max", input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    """torch.min: the smallest element, or along `dim` the named tuple (values, indices)."""
    return _extreme(lib.snn_tensor_min_dim, lib.snn_tensor_amin, min_result, "min", input, dim, keepdim)


def _reduce(c_fn, fn, input, dim, keepdim):
    d, n = _dims(None if dim == () or dim == [] else dim)
    return _new(c_fn, _tensor(input, fn)._h, d, n, bool(keepdim))


def amax(input, dim=(), keepdim=False):
    """torch.amax: largest value over `dim` (an int or a tuple; all dimensions when empty).
    The gradient is split evenly between equal maxima."""
    return _reduce(lib.snn_tensor_amax, "amax", input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """torch.amin: smallest value over `dim` (all dimensions when empty)."""
    return _reduce(lib.snn_tensor_amin, "amin", input, dim, keepdim)


def _index(c_fn, fn, input, dim, keepdim):
    input = _tensor(input, fn)
    has = dim is not None
    return _new(c_fn, input._h, _dim(dim, fn) if has else 0, has, bool(keepdim))


def argmax(input, dim=None, keepdim=False):
    """torch.argmax: int64 index of the first largest element along `dim`, or into the
    flattened tensor when dim is None."""
    return _index(lib.snn_tensor_argmax, "argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """torch.argmin: int64 index of the first smallest element."""
    return _index(lib.snn_tensor_argmin, "argmin", input, dim, keepdim)


def _cast(input, dtype, fn):
    """torch's dtype= on softmax: the input is converted first (float32 or float64)."""
    input = _tensor(input, fn)
    return input if dtype is None else input.to(dtype)


def softmax(input, dim, dtype=None):
    """torch.softmax: exp(x - max) / sum(exp(x - max)) along `dim` (numerically stable)."""
    return _new(lib.snn_tensor_softmax, _cast(input, dtype, "softmax")._h, _dim(dim, "softmax"))


def log_softmax(input, dim, dtype=None):
    """torch.log_softmax: x - max - log(sum(exp(x - max))) along `dim`."""
    return _new(lib.snn_tensor_log_softmax, _cast(input, dtype, "log_softmax")._h, _dim(dim, "log_softmax"))


def logsumexp(input, dim, keepdim=False):
    """torch.logsumexp: log(sum(exp(x))) over `dim` (an int or a tuple), computed stably."""
    return _reduce(lib.snn_tensor_logsumexp, "logsumexp", input, dim, keepdim)


def _correction(fn, dim, unbiased, correction):
    # torch.var(x, True) passes `unbiased` in dim's place.
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"swiftnn.{fn}(): unbiased given twice")
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise TypeError(f"swiftnn.{fn}(): give either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, _builtins.float(correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.var: sum((x - mean)^2) / (N - correction) over `dim` (all when None);
    correction 1 (unbiased, the default) or 0 (unbiased=False)."""
    dim, c = _correction("var", dim, unbiased, correction)
    d, n = _dims(dim)
    return _new(lib.snn_tensor_var, _tensor(input, "var")._h, d, n, c, bool(keepdim))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.std: the square root of var."""
    dim, c = _correction("std", dim, unbiased, correction)
    d, n = _dims(dim)
    return _new(lib.snn_tensor_std, _tensor(input, "std")._h, d, n, c, bool(keepdim))


# Tensor methods: t.max(1), t.argmax(), t.softmax(-1), ... (the functions take `input` first).
for _name, _fn in {"max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
                   "softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp,
                   "var": var, "std": std}.items():
    setattr(Tensor, _name, _fn)
