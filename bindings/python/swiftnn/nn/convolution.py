"""Convolutions beyond Conv2d with torch.nn's names: F.conv1d / nn.Conv1d (a 2-D convolution
over a height of one, so every kernel of conv2d serves it, 'same' padding included) and
F.conv_transpose2d / nn.ConvTranspose2d (an engine op and engine module) and
F.conv_transpose3d (an engine function composed from conv_transpose2d)."""
from __future__ import annotations

import ctypes
import math
import numbers
from typing import Any, Optional, Union, cast

from .._lib import check, lib
from .._ffi import snn_conv_transpose3d_options
from .._options import options
from .._typing import IntOrSize
from ..conv import _conv2d_options, _pair, _triple, conv2d
from ..tensor import Tensor, _new, rand
from .modules import EngineModule, Module, Parameter

__all__ = ["conv1d", "conv_transpose2d", "conv_transpose3d", "Conv1d", "ConvTranspose2d"]


def _one(v: IntOrSize, name: str) -> int:
    if isinstance(v, (int, numbers.Integral)):  # int named for type checkers
        return int(v)
    t = tuple(v)
    if len(t) != 1:
        raise ValueError(f"conv1d: {name} must be an int or a 1-tuple, got {t!r}")
    return int(t[0])


def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntOrSize = 1,
           padding: Union[IntOrSize, str] = 0, dilation: IntOrSize = 1, groups: int = 1) -> Tensor:
    """F.conv1d: input [N, C, L] (or [C, L]), weight [K, C / groups, k]; padding may be an
    int, 'valid' or 'same' (stride 1; an odd total is split with the extra on the right, as
    PyTorch does)."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("conv1d(): input and weight must be Tensors")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected weight [out_channels, in_channels / groups, kernel_size], got {list(weight.shape)}")
    s, d = _one(stride, "stride"), _one(dilation, "dilation")
    x = input.unsqueeze(-2)  # [N, C, 1, L]
    if isinstance(padding, str):
        if padding == "valid":
            p = 0
        elif padding == "same":
            if s != 1:
                raise ValueError("padding='same' is not supported for strided convolutions")
            total = d * (weight.shape[2] - 1)
            p = total // 2
            if total % 2:
                from .resample import pad as _pad
                x = _pad(x, (0, 1))
        else:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    else:
        p = _one(padding, "padding")
    y = conv2d(x, weight.unsqueeze(2), bias, stride=(1, s), padding=(0, p), dilation=(1, d), groups=groups)
    return y.squeeze(-2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntOrSize = 1,
                     padding: IntOrSize = 0, output_padding: IntOrSize = 0, groups: int = 1,
                     dilation: IntOrSize = 1) -> Tensor:
    """F.conv_transpose2d: input [N, Cin, H, W], weight [Cin, Cout / groups, kh, kw]."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("conv_transpose2d(): input and weight must be Tensors")
    opts = _conv2d_options(_pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation"), int(groups))
    op = _pair(output_padding, "output_padding")
    return _new(lib.snn_tensor_conv_transpose2d, input._h, weight._h, bias._h if bias is not None else None,
                ctypes.byref(opts), op[0], op[1])


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """F.conv_transpose3d: input [N, Cin, D, H, W] (or [Cin, D, H, W]), weight
    [Cin, Cout / groups, kd, kh, kw]; sizes are ints or (depth, height, width) triples."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("conv_transpose3d(): input and weight must be Tensors")
    opts = options(snn_conv_transpose3d_options, stride=_triple(stride, "stride"), padding=_triple(padding, "padding"),
                   output_padding=_triple(output_padding, "output_padding"), dilation=_triple(dilation, "dilation"),
                   groups=int(groups))
    return _new(lib.snn_tensor_conv_transpose3d, input._h, weight._h, bias._h if bias is not None else None,
                ctypes.byref(opts))


class Conv1d(Module):
    """nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True): weight [out, in / groups, k] and bias initialised as PyTorch's
    (uniform in +-1/sqrt(in / groups * k))."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrSize, stride: IntOrSize = 1,
                 padding: Union[IntOrSize, str] = 0, dilation: IntOrSize = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv1d: padding_mode={padding_mode!r} (only 'zeros'); use F.pad before the layer")
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        k = _one(kernel_size, "kernel_size")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, (k,)
        self.stride, self.padding, self.dilation, self.groups = (_one(stride, "stride"),), padding, (_one(dilation, "dilation"),), groups
        bound = 1 / math.sqrt(in_channels // groups * k)
        self.weight = Parameter(rand(out_channels, in_channels // groups, k) * (2 * bound) - bound)
        self.bias = Parameter(rand(out_channels) * (2 * bound) - bound) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
                + (f", padding={self.padding}" if self.padding not in (0, (0,)) else ""))


class ConvTranspose2d(EngineModule):
    """nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1): an engine module (weight [in, out /
    groups, kh, kw])."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrSize, stride: IntOrSize = 1,
                 padding: IntOrSize = 0, output_padding: IntOrSize = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrSize = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for ConvTranspose2d, got {padding_mode!r}')
        k = _pair(kernel_size, "kernel_size")
        opts = _conv2d_options(_pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation"), int(groups))
        op = _pair(output_padding, "output_padding")
        h = ctypes.c_void_p()
        check(lib.snn_module_conv_transpose2d(ctypes.byref(h), int(in_channels), int(out_channels), k[0], k[1],
                                              ctypes.byref(opts), op[0], op[1], bool(bias)))
        self._bind(cast(int, h.value))  # set whenever the call succeeds
