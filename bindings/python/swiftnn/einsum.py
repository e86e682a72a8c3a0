"""torch.einsum over the engine's einsum (snn_tensor_einsum): the equation is parsed and lowered
to engine ops in the library, so gradients and ONNX export come from there."""
from __future__ import annotations

import ctypes
from typing import Any

from ._lib import lib
from .tensor import Tensor, _new

__all__ = ["einsum"]


def einsum(equation: str, *operands: Any) -> Tensor:
    """torch.einsum("ij,jk->ik", a, b): sums the products of the operands' elements over the
    subscripts the output omits. Letters [a-zA-Z] label dimensions, "..." broadcast ones;
    without "->" the output is the letters used once, sorted. The operands may also be given
    as one list, as torch allows."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(t).__name__}")
    handles = (ctypes.c_void_p * max(len(operands), 1))(*[t._h for t in operands])
    return _new(lib.snn_tensor_einsum, equation.encode(), handles, len(operands))
