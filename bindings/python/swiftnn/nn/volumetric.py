"""The 3-D layers over [N, C, D, H, W] with torch.nn's names: MaxPool3d, AvgPool3d and
ConvTranspose3d, modules around the engine functions F.max_pool3d, F.avg_pool3d and
F.conv_transpose3d (the last is composed from 2-D transposed convolutions in the engine, so it
is correct but not fast)."""
from __future__ import annotations

import math
from typing import Any, Optional, Union

from ..conv import _triple, avg_pool3d, max_pool3d
from ..tensor import Tensor, rand
from .convolution import conv_transpose3d
from .modules import Module, Parameter

__all__ = ["AvgPool3d", "ConvTranspose3d", "MaxPool3d"]


class MaxPool3d(Module):
    """nn.MaxPool3d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False): input [N, C, D, H, W] or [C, D, H, W]; with return_indices also the int64
    flat position (d * H + h) * W + w of each maximum in its plane."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride or kernel_size, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        """The pooling applied to `input` (call the module itself: module(input))."""
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool3d(Module):
    """nn.AvgPool3d(kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None): input [N, C, D, H, W] or [C, D, H, W]."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """The pooling applied to `input` (call the module itself: module(input))."""
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class ConvTranspose3d(Module):
    """nn.ConvTranspose3d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1): weight [in, out / groups, kd, kh, kw]
    and bias initialised as PyTorch's (uniform in +-1/sqrt(out / groups * kd * kh * kw))."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for ConvTranspose3d, got {padding_mode!r}')
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        k = _triple(kernel_size, "kernel_size")
        self.in_channels, self.out_channels, self.kernel_size, self.groups = in_channels, out_channels, k, groups
        self.stride, self.padding = _triple(stride, "stride"), _triple(padding, "padding")
        self.output_padding, self.dilation = _triple(output_padding, "output_padding"), _triple(dilation, "dilation")
        # PyTorch's kaiming_uniform_(a=sqrt(5)) on a transposed weight: fan_in = size(1) * kernel.
        bound = 1 / math.sqrt(out_channels // groups * k[0] * k[1] * k[2])
        self.weight = Parameter(rand(in_channels, out_channels // groups, *k) * (2 * bound) - bound)
        self.bias = Parameter(rand(out_channels) * (2 * bound) - bound) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        return conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                self.groups, self.dilation)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
