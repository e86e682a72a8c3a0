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
