"""Python's // and % on tensors (torch.floor_divide, torch.remainder) with PyTorch's type
promotion, which the engine applies (snn_tensor_floor_divide, snn_tensor_remainder)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lib import lib
from ._typing import DTypeLike, TensorOrNumber
from .tensor import Tensor, _binary

if TYPE_CHECKING:
    from .dtypes import dtype


def floor_divide(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """torch.floor_divide: the quotient rounded toward -inf (integer division by zero raises)."""
    return _binary(lib.snn_tensor_floor_divide, input, other)


def remainder(input: Tensor, other: TensorOrNumber) -> Tensor:
    """torch.remainder: input - other * floor(input / other), with the sign of other."""
    return _binary(lib.snn_tensor_remainder, input, other)


_T: Any = Tensor  # installs what _tensor_methods.py declares
_T.floor_divide = _T.__floordiv__ = floor_divide
_T.__rfloordiv__ = lambda self, other: floor_divide(other, self)
_T.remainder = _T.__mod__ = remainder
_T.__rmod__ = lambda self, other: remainder(other, self)


def promote_types(type1: DTypeLike, type2: DTypeLike) -> dtype:
    """torch.promote_types: the dtype both convert to."""
    import ctypes
    from . import dtypes as _dtypes
    from ._lib import check
    a, b = _dtypes.check(type1, "swiftnn.promote_types"), _dtypes.check(type2, "swiftnn.promote_types")
    out = ctypes.c_int()
    check(lib.snn_dtype_promote(ctypes.byref(out), a.code, b.code))
    return _dtypes.BY_CODE[out.value]


def result_type(tensor1: TensorOrNumber, tensor2: TensorOrNumber) -> dtype:
    """torch.result_type: the dtype arithmetic on the two computes in (Python numbers count
    only by kind: bool, int, float)."""
    import ctypes
    from . import dtypes as _dtypes
    from ._lib import check
    from .tensor import _as_tensor
    a, b = _as_tensor(tensor1), _as_tensor(tensor2)
    out = ctypes.c_int()
    check(lib.snn_tensor_result_type(ctypes.byref(out), a._h, b._h))
    return _dtypes.BY_CODE[out.value]
