"""Sorting and indexing by tensors with PyTorch's names: sort, argsort, topk (named tuples of
values and indices), gather, scatter, scatter_add, index_add (out of place), maximum and
minimum; the engine does the work (swiftnn/select.h). Importing this module installs the
Tensor methods (t.sort(), t.topk(3), t.gather(1, idx), ...)."""
from __future__ import annotations

import builtins as _builtins
import collections
import ctypes
import numbers
import operator
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._lib import check, lib
from ._typing import Number, TensorOrNumber
from .tensor import Tensor, _new, _wrap_new

if TYPE_CHECKING:
    from ._tensor_methods import ValuesIndices

# torch.return_types.sort / topk: tuples that also have .values and .indices.
if TYPE_CHECKING:
    sort_result = ValuesIndices
    topk_result = ValuesIndices
else:
    sort_result = collections.namedtuple("sort", ["values", "indices"])
    topk_result = collections.namedtuple("topk", ["values", "indices"])


def _tensor(x: Any, fn: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"swiftnn.{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def _int(v: Any, fn: str, name: str) -> int:
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"swiftnn.{fn}(): {name} must be an int, not {type(v).__name__}") from None


def _pair(c_fn: Callable[..., int], result: Callable[[Tensor, Tensor], ValuesIndices], *args: Any) -> ValuesIndices:
    values, indices = ctypes.c_void_p(), ctypes.c_void_p()
    check(c_fn(ctypes.byref(values), ctypes.byref(indices), *args))
    return result(_wrap_new(values.value), _wrap_new(indices.value))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """(values, indices) sorted along dim; equal values keep their order, nan sorts last (first
    when descending). The gradient of values goes back to where they came from."""
    return _pair(lib.snn_tensor_sort, sort_result, _tensor(input, "sort")._h, _int(dim, "sort", "dim"),
                 _builtins.bool(descending), _builtins.bool(stable))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The int64 indices that sort input along dim."""
    return _new(lib.snn_tensor_argsort, _tensor(input, "argsort")._h, _int(dim, "argsort", "dim"),
                _builtins.bool(descending), _builtins.bool(stable))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """(values, indices) of the k largest (smallest if not largest) entries along dim, in order."""
    return _pair(lib.snn_tensor_topk, topk_result, _tensor(input, "topk")._h, _int(k, "topk", "k"),
                 _int(dim, "topk", "dim"), _builtins.bool(largest), _builtins.bool(sorted))


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = input[i][index[i][j]] along dim (int64 index of input's rank)."""
    return _new(lib.snn_tensor_gather, _tensor(input, "gather")._h, _int(dim, "gather", "dim"),
                _tensor(index, "gather", "index")._h)


def scatter(input: Tensor, dim: int, index: Tensor, src: Optional[TensorOrNumber] = None,
            value: Optional[Number] = None, *, reduce: Optional[str] = None) -> Tensor:
    """A copy of input with src (a tensor) or value (a number) written at index along dim."""
    if reduce is not None:
        raise NotImplementedError("swiftnn.scatter(): reduce= is not supported (use scatter_add for 'add')")
    if (src is None) == (value is None):
        raise TypeError("swiftnn.scatter(): give exactly one of src (a tensor) or value (a number)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # torch.scatter(input, dim, index, 1.5): a number in src's place
    _tensor(input, "scatter")
    dim, index = _int(dim, "scatter", "dim"), _tensor(index, "scatter", "index")
    if src is not None:
        return _new(lib.snn_tensor_scatter, input._h, dim, index._h, src._h)
    if not isinstance(value, numbers.Real):
        raise TypeError(f"swiftnn.scatter(): value must be a number, not {type(value).__name__}")
    return _new(lib.snn_tensor_scatter_value, input._h, dim, index._h, _builtins.float(value))


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src added at index along dim (repeated positions accumulate)."""
    return _new(lib.snn_tensor_scatter_add, _tensor(input, "scatter_add")._h, _int(dim, "scatter_add", "dim"),
                _tensor(index, "scatter_add", "index")._h, _tensor(src, "scatter_add", "src")._h)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Number = 1) -> Tensor:
    """A copy of input with alpha * source's slices added at the slices index (1-D) along dim."""
    return _new(lib.snn_tensor_index_add, _tensor(input, "index_add")._h, _int(dim, "index_add", "dim"),
                _tensor(index, "index_add", "index")._h, _tensor(source, "index_add", "source")._h,
                _builtins.float(alpha))


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise larger of two tensors (nan if either is)."""
    return _new(lib.snn_tensor_maximum, _tensor(input, "maximum")._h, _tensor(other, "maximum", "other")._h)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise smaller of two tensors (nan if either is)."""
    return _new(lib.snn_tensor_minimum, _tensor(input, "minimum")._h, _tensor(other, "minimum", "other")._h)


for _name in ("sort", "argsort", "topk", "gather", "scatter", "scatter_add", "index_add", "maximum", "minimum"):
    setattr(Tensor, _name, globals()[_name])
del _name
