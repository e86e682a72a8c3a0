"""Padding, resizing and one-hot with torch.nn.functional's names (F.pad, F.interpolate,
F.one_hot; engine ops) and the modules nn.Upsample, nn.ZeroPad2d, nn.ConstantPad2d,
nn.ReflectionPad2d, nn.ReplicationPad2d."""
from __future__ import annotations

import ctypes
import math
import numbers
from typing import Optional, Sequence, Union, cast

from .._lib import lib
from .._typing import IntOrSize
from ..tensor import Tensor, _new
from .modules import Module

__all__ = ["pad", "interpolate", "one_hot", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "ZeroPad2d",
           "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d"]

_PAD_MODES = {"constant": 0, "reflect": 1, "replicate": 2, "circular": 3}
_INTERP_MODES = {"nearest": 0, "nearest-exact": 1, "linear": 2, "bilinear": 2}


def _int64s(values: Sequence[int]) -> ctypes.Array[ctypes.c_int64]:
    return (ctypes.c_int64 * max(len(values), 1))(*values)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """F.pad: pad lists (before, after) pairs from the last dimension back."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    p = [int(v) for v in pad]
    return _new(lib.snn_tensor_pad, input._h, _int64s(p), len(p), _PAD_MODES[mode], float(value or 0.0))


def interpolate(input: Tensor, size: Optional[IntOrSize] = None,
                scale_factor: Optional[Union[float, Sequence[float]]] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """F.interpolate for [N, C, L] ('nearest', 'nearest-exact', 'linear') and [N, C, H, W]
    ('nearest', 'nearest-exact', 'bilinear') input, by size or scale_factor, as PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if mode not in _INTERP_MODES:
        raise NotImplementedError(f"swiftnn: interpolate mode {mode!r} is not supported (nearest, nearest-exact, linear, bilinear)")
    if antialias:
        raise NotImplementedError("swiftnn: interpolate(antialias=True) is not supported")
    dim = input.ndim - 2
    if dim not in (1, 2):
        raise NotImplementedError(f"Input Error: Only 3D and 4D input Tensors supported (got {input.ndim}D) for the modes: "
                                  "nearest | linear | bilinear | nearest-exact")
    if (mode == "linear") != (dim == 1) and mode in ("linear", "bilinear"):
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {3 if mode == 'linear' else 4}D input")
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    if size is not None:
        out = [int(size)] * dim if isinstance(size, (int, numbers.Integral)) else [int(s) for s in size]
        if len(out) != dim:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                             f"dimensions of {list(input.shape[2:])} and output size of {out}. Please provide input tensor "
                             "in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        scales: Optional[list[float]] = None
    else:
        factors = ([float(scale_factor)] * dim if isinstance(scale_factor, (float, numbers.Real))
                   else [float(s) for s in cast(Sequence[float], scale_factor)])
        if len(factors) != dim:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {factors}.")
        out = [math.floor(float(input.shape[i + 2]) * factors[i]) for i in range(dim)]
        scales = None if recompute_scale_factor else factors
    arr = (ctypes.c_double * dim)(*scales) if scales is not None else None
    return _new(lib.snn_tensor_interpolate, input._h, _int64s(out), dim, arr, _INTERP_MODES[mode], bool(align_corners))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """F.one_hot: int64 [*] -> int64 [*, num_classes]."""
    return _new(lib.snn_tensor_one_hot, tensor._h, int(num_classes))


class Upsample(Module):
    """nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None)."""

    def __init__(self, size: Optional[IntOrSize] = None, scale_factor: Optional[Union[float, Sequence[float]]] = None,
                 mode: str = "nearest", align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        what = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{what}, mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    """nn.UpsamplingNearest2d: Upsample(size, scale_factor, mode="nearest") of [N, C, H, W]."""

    def __init__(self, size: Optional[IntOrSize] = None,
                 scale_factor: Optional[Union[float, Sequence[float]]] = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """nn.UpsamplingBilinear2d: Upsample(size, scale_factor, mode="bilinear", align_corners=True)."""

    def __init__(self, size: Optional[IntOrSize] = None,
                 scale_factor: Optional[Union[float, Sequence[float]]] = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class _Pad2d(Module):
    """Pads the last two dimensions of [N, C, H, W] or [C, H, W] by (left, right, top, bottom)."""

    _mode = "constant"

    def __init__(self, padding: IntOrSize, value: float = 0.0) -> None:
        super().__init__()
        self.padding = ((int(padding),) * 4 if isinstance(padding, (int, numbers.Integral))
                        else tuple(int(p) for p in padding))
        if len(self.padding) != 4:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a 4-tuple (left, right, top, bottom)")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        return pad(input, self.padding, self._mode, self.value if self._mode == "constant" else None)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" and self.value else "")


class ConstantPad2d(_Pad2d):
    """nn.ConstantPad2d(padding, value): pads H and W with `value`; padding an int or (left, right, top, bottom).

    Shape:
        Input (N, C, H, W) or (C, H, W); output H + top + bottom, W + left + right.

    Example:
        >>> nn.ConstantPad2d(1, 3.5)(swiftnn.zeros(1, 1, 2, 2)).shape
        swiftnn.Size([1, 1, 4, 4])
    """

    def __init__(self, padding: IntOrSize, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad2d(_Pad2d):
    """nn.ZeroPad2d(padding): ConstantPad2d with zeros.

    Shape:
        Input (N, C, H, W) or (C, H, W); output H + top + bottom, W + left + right.
    """

    def __init__(self, padding: IntOrSize) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad2d(_Pad2d):
    """nn.ReflectionPad2d(padding): pads H and W with the reflection of the input (edge not repeated).

    Shape:
        Input (N, C, H, W) or (C, H, W); output H + top + bottom, W + left + right.
    """

    _mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """nn.ReplicationPad2d(padding): pads H and W by repeating the edge values.

    Shape:
        Input (N, C, H, W) or (C, H, W); output H + top + bottom, W + left + right.
    """

    _mode = "replicate"


class CircularPad2d(_Pad2d):
    """nn.CircularPad2d(padding): pads H and W by wrapping around (periodic).

    Shape:
        Input (N, C, H, W) or (C, H, W); output H + top + bottom, W + left + right.
    """

    _mode = "circular"
