"""Reductions beyond sum/mean, with PyTorch's names: max and min (torch.max(t) -> tensor,
torch.max(t, dim, keepdim) -> (values, indices)), amax, amin, argmax, argmin, softmax,
log_softmax, logsumexp, var and std, plus their Tensor methods (t.max(1), t.softmax(-1), ...)."""
from __future__ import annotations

import builtins as _builtins
import collections
import ctypes
import operator
from typing import TYPE_CHECKING, Any, Callable, Optional, Union, overload

from ._lib import check, lib
from ._typing import DTypeLike, IntOrSize, Number
from .tensor import Tensor, _dims, _new, _wrap_new

if TYPE_CHECKING:
    from ._tensor_methods import ValuesIndices

# torch.return_types.max / min: a tuple that also has .values and .indices.
if TYPE_CHECKING:
    max_result = ValuesIndices
    min_result = ValuesIndices
else:
    max_result = collections.namedtuple("max", ["values", "indices"])
    min_result = collections.namedtuple("min", ["values", "indices"])


def _tensor(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"swiftnn.{fn}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    return x


def _dim(dim: Any, fn: str) -> int:
    try:
        return operator.index(dim)
    except TypeError:
        raise TypeError(f"swiftnn.{fn}(): dim must be an int, not {type(dim).__name__}") from None


def _extreme(c_dim: Callable[..., int], c_all: Callable[..., int], result: Callable[[Tensor, Tensor], ValuesIndices],
             fn: str, input: Any, dim: Any, keepdim: bool) -> Union[Tensor, ValuesIndices]:
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
    return result(_wrap_new(values.value), _wrap_new(indices.value))


@overload
def max(input: Tensor) -> Tensor: ...
@overload
def max(input: Tensor, dim: int, keepdim: bool = False) -> ValuesIndices: ...


def max(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Union[Tensor, ValuesIndices]:
    """torch.max: the largest element (0-d), or along `dim` the named tuple (values, indices)
    (first index on ties). The gradient flows to the selected elements."""
    return _extreme(lib.snn_tensor_max_dim, lib.snn_tensor_amax, max_result, "max", input, dim, keepdim)


@overload
def min(input: Tensor) -> Tensor: ...
@overload
def min(input: Tensor, dim: int, keepdim: bool = False) -> ValuesIndices: ...


def min(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Union[Tensor, ValuesIndices]:
    """torch.min: the smallest element, or along `dim` the named tuple (values, indices)."""
    return _extreme(lib.snn_tensor_min_dim, lib.snn_tensor_amin, min_result, "min", input, dim, keepdim)


def _reduce(c_fn: Callable[..., int], fn: str, input: Any, dim: Optional[IntOrSize], keepdim: bool) -> Tensor:
    d, n = _dims(None if dim == () or dim == [] else dim)
    return _new(c_fn, _tensor(input, fn)._h, d, n, bool(keepdim))


def amax(input: Tensor, dim: IntOrSize = (), keepdim: bool = False) -> Tensor:
    """torch.amax: largest value over `dim` (an int or a tuple; all dimensions when empty).
    The gradient is split evenly between equal maxima."""
    return _reduce(lib.snn_tensor_amax, "amax", input, dim, keepdim)


def amin(input: Tensor, dim: IntOrSize = (), keepdim: bool = False) -> Tensor:
    """torch.amin: smallest value over `dim` (all dimensions when empty)."""
    return _reduce(lib.snn_tensor_amin, "amin", input, dim, keepdim)


def _index(c_fn: Callable[..., int], fn: str, input: Any, dim: Optional[int], keepdim: bool) -> Tensor:
    input = _tensor(input, fn)
    has = dim is not None
    return _new(c_fn, input._h, _dim(dim, fn) if has else 0, has, bool(keepdim))


def argmax(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """torch.argmax: int64 index of the first largest element along `dim`, or into the
    flattened tensor when dim is None."""
    return _index(lib.snn_tensor_argmax, "argmax", input, dim, keepdim)


def argmin(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """torch.argmin: int64 index of the first smallest element."""
    return _index(lib.snn_tensor_argmin, "argmin", input, dim, keepdim)


def _cast(input: Any, dtype: Optional[DTypeLike], fn: str) -> Tensor:
    """torch's dtype= on softmax: the input is converted first (float32 or float64)."""
    t = _tensor(input, fn)
    return t if dtype is None else t.to(dtype)


def softmax(input: Tensor, dim: int, dtype: Optional[DTypeLike] = None) -> Tensor:
    """torch.softmax: exp(x - max) / sum(exp(x - max)) along `dim` (numerically stable)."""
    return _new(lib.snn_tensor_softmax, _cast(input, dtype, "softmax")._h, _dim(dim, "softmax"))


def log_softmax(input: Tensor, dim: int, dtype: Optional[DTypeLike] = None) -> Tensor:
    """torch.log_softmax: x - max - log(sum(exp(x - max))) along `dim`."""
    return _new(lib.snn_tensor_log_softmax, _cast(input, dtype, "log_softmax")._h, _dim(dim, "log_softmax"))


def logsumexp(input: Tensor, dim: IntOrSize, keepdim: bool = False) -> Tensor:
    """torch.logsumexp: log(sum(exp(x))) over `dim` (an int or a tuple), computed stably."""
    return _reduce(lib.snn_tensor_logsumexp, "logsumexp", input, dim, keepdim)


def _correction(fn: str, dim: Any, unbiased: Optional[bool], correction: Optional[Number]) -> tuple[Any, float]:
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


def var(input: Tensor, dim: Optional[IntOrSize] = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
        correction: Optional[Number] = None) -> Tensor:
    """torch.var: sum((x - mean)^2) / (N - correction) over `dim` (all when None);
    correction 1 (unbiased, the default) or 0 (unbiased=False)."""
    dim, c = _correction("var", dim, unbiased, correction)
    d, n = _dims(dim)
    return _new(lib.snn_tensor_var, _tensor(input, "var")._h, d, n, c, bool(keepdim))


def std(input: Tensor, dim: Optional[IntOrSize] = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
        correction: Optional[Number] = None) -> Tensor:
    """torch.std: the square root of var."""
    dim, c = _correction("std", dim, unbiased, correction)
    d, n = _dims(dim)
    return _new(lib.snn_tensor_std, _tensor(input, "std")._h, d, n, c, bool(keepdim))


# Tensor methods: t.max(1), t.argmax(), t.softmax(-1), ... (the functions take `input` first).
for _name, _fn in {"max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
                   "softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp,
                   "var": var, "std": std}.items():
    setattr(Tensor, _name, _fn)
