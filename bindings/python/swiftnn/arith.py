"""Python's // and % on tensors (torch.floor_divide, torch.remainder) with PyTorch's type
promotion, which the engine applies (snn_tensor_floor_divide, snn_tensor_remainder)."""
from ._lib import lib
from .tensor import Tensor, _binary


def floor_divide(input, other):
    """torch.floor_divide: the quotient rounded toward -inf (integer division by zero raises)."""
    return _binary(lib.snn_tensor_floor_divide, input, other)


def remainder(input, other):
    """torch.remainder: input - other * floor(input / other), with the sign of other."""
    return _binary(lib.snn_tensor_remainder, input, other)


Tensor.floor_divide = Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = lambda self, other: floor_divide(other, self)
Tensor.remainder = Tensor.__mod__ = remainder
Tensor.__rmod__ = lambda self, other: remainder(other, self)


def promote_types(type1, type2):
    """torch.promote_types: the dtype both convert to."""
    import ctypes
    from . import dtypes as _dtypes
    from ._lib import check
    a, b = _dtypes.check(type1, "swiftnn.promote_types"), _dtypes.check(type2, "swiftnn.promote_types")
    out = ctypes.c_int()
    check(lib.snn_dtype_promote(ctypes.byref(out), a.code, b.code))
    return _dtypes.BY_CODE[out.value]


def result_type(tensor1, tensor2):
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
