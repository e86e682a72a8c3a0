"""Layer and group normalization with torch.nn's names: F.layer_norm, F.group_norm (engine
ops with backward) and nn.LayerNorm, nn.GroupNorm (engine modules: saved and rebuilt with the
architecture, usable from C)."""
from __future__ import annotations

import ctypes
import numbers
from typing import Any, Callable, Optional, Sequence, cast

from .._lib import check, lib
from .._typing import IntOrSize
from ..tensor import Tensor, _new
from .modules import EngineModule

__all__ = ["layer_norm", "group_norm", "LayerNorm", "GroupNorm"]


def _shape(normalized_shape: IntOrSize) -> list[int]:
    if isinstance(normalized_shape, (int, numbers.Integral)):  # int named for type checkers
        return [int(normalized_shape)]
    return [int(d) for d in normalized_shape]


def _ints(values: Sequence[int]) -> ctypes.Array[ctypes.c_int64]:
    return (ctypes.c_int64 * max(len(values), 1))(*values)


def layer_norm(input: Tensor, normalized_shape: IntOrSize, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """F.layer_norm: normalizes over the trailing normalized_shape dimensions."""
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm(): argument 'input' must be a Tensor, not {type(input).__name__}")
    shape = _shape(normalized_shape)
    return _new(lib.snn_tensor_layer_norm, input._h, _ints(shape), len(shape), weight._h if weight is not None else None,
                bias._h if bias is not None else None, float(eps))


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """F.group_norm: input [N, C, *] normalized in num_groups groups of channels."""
    if not isinstance(input, Tensor):
        raise TypeError(f"group_norm(): argument 'input' must be a Tensor, not {type(input).__name__}")
    return _new(lib.snn_tensor_group_norm, input._h, int(num_groups), weight._h if weight is not None else None,
                bias._h if bias is not None else None, float(eps))


def _make(fn: Callable[..., int], *args: Any) -> int:
    h = ctypes.c_void_p()
    check(fn(ctypes.byref(h), *args))
    return cast(int, h.value)  # set whenever the call succeeds


class LayerNorm(EngineModule):
    """nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)."""

    def __init__(self, normalized_shape: IntOrSize, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        shape = _shape(normalized_shape)
        self._bind(_make(lib.snn_module_layer_norm, _ints(shape), len(shape), float(eps), bool(elementwise_affine),
                         bool(bias)))


class GroupNorm(EngineModule):
    """nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        self._bind(_make(lib.snn_module_group_norm, int(num_groups), int(num_channels), float(eps), bool(affine)))
