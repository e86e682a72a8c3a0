"""Comparisons, logic and selection by mask with PyTorch's names and operators: t == u, t < 0.5,
~m, m & n, swiftnn.where(m, t, 0.0), t.masked_fill(m, 0), t.any(), swiftnn.isnan(t),
swiftnn.isclose / allclose / equal, t.nonzero(). The work is in the engine (swiftnn/compare.h);
this module only picks the C function and turns Python numbers into what PyTorch makes of them.
t[mask] (a bool mask) selects entries, as PyTorch (assignment through a mask is in-place work).

As in PyTorch, `==` is elementwise (a bool tensor) and Tensor hashes by identity, so a tensor
is still a dict key and a set member; `x in t` is (t == x).any(), and `bool(t)` is defined only
for one element. Importing this module installs the operators and methods on Tensor."""
from __future__ import annotations

import builtins as _builtins
import ctypes
import numbers
from typing import Any, Callable, Literal, Optional, Union, cast, overload

import numpy as np

from ._lib import check, lib
from ._typing import IntOrSize, TensorOrNumber
from .tensor import Tensor, _dims, _new, from_numpy

_COMPARE = {
    "eq": (lib.snn_tensor_eq, lib.snn_tensor_eq_scalar),
    "ne": (lib.snn_tensor_ne, lib.snn_tensor_ne_scalar),
    "lt": (lib.snn_tensor_lt, lib.snn_tensor_lt_scalar),
    "le": (lib.snn_tensor_le, lib.snn_tensor_le_scalar),
    "gt": (lib.snn_tensor_gt, lib.snn_tensor_gt_scalar),
    "ge": (lib.snn_tensor_ge, lib.snn_tensor_ge_scalar),
}


def _tensor(x: Any, fn: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"swiftnn.{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, Tensor)


def _scalar_tensor(x: Any) -> Tensor:
    """A Python number as the 0-d tensor PyTorch's promotion treats it like: bool, int64 or
    float32 (a 0-d operand does not widen a dimensioned one of its category)."""
    if isinstance(x, (_builtins.bool, np.bool_)):
        return from_numpy(np.array(_builtins.bool(x)))
    if isinstance(x, numbers.Integral):
        return from_numpy(np.array(int(x), dtype=np.int64))
    if isinstance(x, numbers.Real):
        return from_numpy(np.array(x, dtype=np.float32))
    raise TypeError(f"swiftnn: expected a Tensor or a real number, got {type(x).__name__}")


def _operand(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else _scalar_tensor(x)


def _compare(name: str, input: Tensor, other: Any) -> Tensor:
    tensor_fn, scalar_fn = _COMPARE[name]
    _tensor(input, name)
    if isinstance(other, Tensor):
        return _new(tensor_fn, input._h, other._h)
    if _is_number(other) and not isinstance(other, complex):
        return _new(scalar_fn, input._h, _builtins.float(other))
    raise TypeError(f"swiftnn.{name}(): argument 'other' must be a Tensor or a number, not {type(other).__name__}")


def eq(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input == other elementwise (broadcasting; other may be a number): a bool tensor."""
    return _compare("eq", input, other)


def ne(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input != other elementwise: a bool tensor (true where either is nan)."""
    return _compare("ne", input, other)


def lt(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input < other elementwise: a bool tensor."""
    return _compare("lt", input, other)


def le(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input <= other elementwise: a bool tensor."""
    return _compare("le", input, other)


def gt(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input > other elementwise: a bool tensor."""
    return _compare("gt", input, other)


def ge(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input >= other elementwise: a bool tensor."""
    return _compare("ge", input, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne  # torch's aliases


# ---- special values, closeness ---------------------------------------------------------------

def isnan(input: Tensor) -> Tensor:
    """True where input is nan (never for integer or bool tensors)."""
    return _new(lib.snn_tensor_isnan, _tensor(input, "isnan")._h)


def isinf(input: Tensor) -> Tensor:
    """True where input is +inf or -inf."""
    return _new(lib.snn_tensor_isinf, _tensor(input, "isinf")._h)


def isfinite(input: Tensor) -> Tensor:
    """True where input is neither nan nor infinite."""
    return _new(lib.snn_tensor_isfinite, _tensor(input, "isfinite")._h)


def isclose(input: Tensor, other: TensorOrNumber, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| (or equal), elementwise; same dtypes required."""
    other = _operand(other)
    return _new(lib.snn_tensor_isclose, _tensor(input, "isclose")._h, other._h, _builtins.float(rtol),
                _builtins.float(atol), _builtins.bool(equal_nan))


def allclose(input: Tensor, other: TensorOrNumber, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether isclose holds everywhere: a Python bool."""
    other = _operand(other)
    out = ctypes.c_bool()
    check(lib.snn_tensor_allclose(ctypes.byref(out), _tensor(input, "allclose")._h, other._h, _builtins.float(rtol),
                                  _builtins.float(atol), _builtins.bool(equal_nan)))
    return out.value


def equal(input: Tensor, other: Tensor) -> bool:
    """Same shape and every element equal: a Python bool (torch.equal)."""
    out = ctypes.c_bool()
    check(lib.snn_tensor_equal(ctypes.byref(out), _tensor(input, "equal")._h, _tensor(other, "equal", "other")._h))
    return out.value


# ---- logic -------------------------------------------------------------------------------------

def _binary(c_fn: Callable[..., int], name: str, input: Tensor, other: Any) -> Tensor:
    input, other = _operand(input), _operand(other)  # kept referenced until the call returns
    return _new(c_fn, input._h, other._h)


def logical_and(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise and of truth values (nonzero is true): a bool tensor."""
    return _binary(lib.snn_tensor_logical_and, "logical_and", _tensor(input, "logical_and"), other)


def logical_or(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise input or other, by truth value: a bool tensor."""
    return _binary(lib.snn_tensor_logical_or, "logical_or", _tensor(input, "logical_or"), other)


def logical_xor(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise input xor other, by truth value: a bool tensor."""
    return _binary(lib.snn_tensor_logical_xor, "logical_xor", _tensor(input, "logical_xor"), other)


def logical_not(input: Tensor) -> Tensor:
    """True where input is zero."""
    return _new(lib.snn_tensor_logical_not, _tensor(input, "logical_not")._h)


def bitwise_and(input: Tensor, other: TensorOrNumber) -> Tensor:
    """input & other for bool or integer tensors (bool & bool is bool)."""
    return _binary(lib.snn_tensor_bitwise_and, "bitwise_and", input, other)


def bitwise_or(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise input | other (bool and integer dtypes)."""
    return _binary(lib.snn_tensor_bitwise_or, "bitwise_or", input, other)


def bitwise_xor(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise input ^ other (bool and integer dtypes)."""
    return _binary(lib.snn_tensor_bitwise_xor, "bitwise_xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:
    """~input: logical not of a bool tensor, two's-complement not of an integer one."""
    return _new(lib.snn_tensor_bitwise_not, _tensor(input, "bitwise_not")._h)


# ---- selection by mask -------------------------------------------------------------------------

@overload
def where(condition: Tensor) -> tuple[Tensor, ...]: ...
@overload
def where(condition: Tensor, input: TensorOrNumber, other: TensorOrNumber) -> Tensor: ...


def where(condition: Tensor, input: Optional[TensorOrNumber] = None,
          other: Optional[TensorOrNumber] = None) -> Union[Tensor, tuple[Tensor, ...]]:
    """input where condition (a bool tensor) is true, else other, broadcasting; either may be a
    number. where(condition) alone is nonzero(condition, as_tuple=True)."""
    _tensor(condition, "where", "condition")
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("swiftnn.where(): give both input and other, or neither")
    input, other = _operand(input), _operand(other)
    return _new(lib.snn_tensor_where, condition._h, input._h, other._h)


def masked_fill(input: Tensor, mask: Tensor, value: TensorOrNumber) -> Tensor:
    """value where mask (a bool tensor) is true, else input; value is a number or a 0-d tensor."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        value = value.item()
    return _new(lib.snn_tensor_masked_fill, _tensor(input, "masked_fill")._h, _tensor(mask, "masked_fill", "mask")._h,
                _builtins.float(value))


def any(input: Tensor, dim: Optional[IntOrSize] = None, keepdim: bool = False) -> Tensor:  # noqa: A001  (torch.any)
    """Whether some element (over dim, an int or tuple; all when None) is nonzero: bool."""
    d, n = _dims(dim)
    return _new(lib.snn_tensor_any, _tensor(input, "any")._h, d, n, _builtins.bool(keepdim))


def all(input: Tensor, dim: Optional[IntOrSize] = None, keepdim: bool = False) -> Tensor:  # noqa: A001  (torch.all)
    """Whether every element (over dim) is nonzero: bool."""
    d, n = _dims(dim)
    return _new(lib.snn_tensor_all, _tensor(input, "all")._h, d, n, _builtins.bool(keepdim))


@overload
def nonzero(input: Tensor, *, as_tuple: Literal[False] = False) -> Tensor: ...
@overload
def nonzero(input: Tensor, *, as_tuple: Literal[True]) -> tuple[Tensor, ...]: ...


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Union[Tensor, tuple[Tensor, ...]]:
    """Indices of the nonzero elements: int64 [count, ndim], or with as_tuple one 1-D tensor per
    dimension (a 0-d input counts as 1-D)."""
    out = _new(lib.snn_tensor_nonzero, _tensor(input, "nonzero")._h)
    if not as_tuple:
        return out
    from .shape import select
    if input.ndim == 0:
        flat = input.reshape(1)  # kept referenced until the call returns
        return (_new(lib.snn_tensor_nonzero, flat._h).reshape(-1),)
    return tuple(select(out, 1, i) for i in range(input.ndim))


def count_nonzero(input: Tensor, dim: Optional[IntOrSize] = None) -> Tensor:
    """The number of nonzero elements over dim (all when None): int64."""
    d, n = _dims(dim)
    return _new(lib.snn_tensor_count_nonzero, _tensor(input, "count_nonzero")._h, d, n)


# ---- boolean-mask indexing ---------------------------------------------------------------------

def _mask_index(x: Tensor, mask: Tensor) -> Tensor:
    """x[mask] for a bool mask shaped like x's leading dimensions: the selected entries (rows,
    when the mask covers fewer dimensions) in row-major order, as PyTorch. Two engine ops
    (nonzero, index_select), so the gradient flows back to the selected entries."""
    shape, k = list(x.shape), mask.ndim
    for i, (m, s) in enumerate(zip(mask.shape, shape)):
        if m != s:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {i} does not match the shape of the "
                             f"indexed tensor {shape} at index {i}")
    if k > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (a mask of shape {list(mask.shape)})")
    flat = mask.reshape(-1)  # kept referenced until the calls return
    positions = _new(lib.snn_tensor_nonzero, flat._h).reshape(-1)
    return x.reshape(-1, *shape[k:]).index_select(0, positions)


_plain_getitem = Tensor.__getitem__


def _getitem(self: Tensor, key: Any) -> Tensor:
    if isinstance(key, Tensor) and key.dtype.name == "bool":
        return _mask_index(self, key)
    return _plain_getitem(self, key)


# ---- Tensor operators and methods --------------------------------------------------------------

def _op(fn: Callable[[Tensor, Any], Tensor]) -> Callable[[Tensor, Any], Any]:
    """A binary operator: NotImplemented for an operand it does not take, so Python falls back
    (`t == "a"` is False, as in PyTorch)."""
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, Tensor) and not _is_number(other):
            return NotImplemented
        return fn(self, other)
    method.__name__ = fn.__name__
    return method


def _rop(fn: Callable[[Tensor, Any], Tensor]) -> Callable[[Tensor, Any], Any]:
    def method(self: Tensor, other: Any) -> Any:
        if not _is_number(other):
            return NotImplemented
        return fn(_scalar_tensor(other), self)
    return method


def _where_method(self: Tensor, condition: Tensor, other: TensorOrNumber) -> Tensor:
    """self where condition is true, else other (torch.Tensor.where)."""
    return where(condition, self, other)


def _contains(self: Tensor, element: Any) -> bool:
    """`x in t`: (t == x).any(), as PyTorch."""
    if not isinstance(element, Tensor) and not _is_number(element):
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")
    return cast(bool, any(eq(self, element)).item())  # a bool tensor's item


def _bool(self: Tensor) -> bool:
    n = self.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return _builtins.bool(self.item())


_T: Any = Tensor  # installs what _tensor_methods.py declares
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(Tensor, f"__{_name}__", _op(globals()[_name]))
    setattr(Tensor, _name, globals()[_name])
_T.__hash__ = object.__hash__  # identity, as torch.Tensor (a class defining __eq__ loses it)
_T.__and__, _T.__rand__ = _op(bitwise_and), _rop(bitwise_and)
_T.__or__, _T.__ror__ = _op(bitwise_or), _rop(bitwise_or)
_T.__xor__, _T.__rxor__ = _op(bitwise_xor), _rop(bitwise_xor)
_T.__invert__ = bitwise_not
_T.__contains__ = _contains
_T.__getitem__ = _getitem
_T.__bool__ = _bool
for _name in ("greater", "greater_equal", "less", "less_equal", "not_equal", "isnan", "isinf", "isfinite",
              "isclose", "allclose", "equal", "logical_and", "logical_or", "logical_xor", "logical_not",
              "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "masked_fill", "any", "all",
              "nonzero", "count_nonzero"):
    setattr(Tensor, _name, globals()[_name])
_T.where = _where_method
del _name
