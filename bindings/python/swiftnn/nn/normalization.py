"""Layer and group normalization with torch.nn's names: F.layer_norm, F.group_norm (engine
ops with backward) and nn.LayerNorm, nn.GroupNorm (engine modules: saved and rebuilt with the
architecture, usable from C)."""
import ctypes
import numbers

from .._lib import check, lib
from ..tensor import Tensor, _new
from .modules import EngineModule

__all__ = ["layer_norm", "group_norm", "LayerNorm", "GroupNorm"]


def _shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return [int(normalized_shape)]
    return [int(d) for d in normalized_shape]


def _ints(values):
    return (ctypes.c_int64 * max(len(values), 1))(*values)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """F.layer_norm: normalizes over the trailing normalized_shape dimensions."""
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm(): argument 'input' must be a Tensor, not {type(input).__name__}")
    shape = _shape(normalized_shape)
    return _new(lib.snn_tensor_layer_norm, input._h, _ints(shape), len(shape), weight._h if weight is not None else None,
                bias._h if bias is not None else None, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """F.group_norm: input [N, C, *] normalized in num_groups groups of channels."""
    if not isinstance(input, Tensor):
        raise TypeError(f"group_norm(): argument 'input' must be a Tensor, not {type(input).__name__}")
    return _new(lib.snn_tensor_group_norm, input._h, int(num_groups), weight._h if weight is not None else None,
                bias._h if bias is not None else None, float(eps))


def _make(fn, *args):
    h = ctypes.c_void_p()
    check(fn(ctypes.byref(h), *args))
    return h.value


class LayerNorm(EngineModule):
    """nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        shape = _shape(normalized_shape)
        self._bind(_make(lib.snn_module_layer_norm, _ints(shape), len(shape), float(eps), bool(elementwise_affine),
                         bool(bias)))


class GroupNorm(EngineModule):
    """nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        self._bind(_make(lib.snn_module_group_norm, int(num_groups), int(num_channels), float(eps), bool(affine)))
