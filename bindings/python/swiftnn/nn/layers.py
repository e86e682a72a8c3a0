"""Built-in layers with torch.nn's names and constructor arguments; each wraps an engine
module (one C call per forward; parameters are the engine's live tensors)."""
from __future__ import annotations

import ctypes
from typing import Any, Callable, Optional, Union

from .._lib import check, lib
from ..conv import _conv2d_options, _pair, _pool_options
from .._typing import IntOrSize
from .modules import EngineModule


def _make(fn: Callable[..., int], *args: Any) -> int:
    h = ctypes.c_void_p()
    check(fn(ctypes.byref(h), *args))
    return h.value  # type: ignore[return-value]  # set whenever the call succeeds


class ReLU(EngineModule):
    """max(0, x) elementwise (torch.nn.ReLU).

    Args:
        inplace: accepted for PyTorch compatibility; the output is always a new tensor.

    Shape:
        Input (*), any shape; output the same shape.

    Example:
        >>> y = nn.ReLU()(swiftnn.randn(2, 3))
    """

    def __init__(self, inplace: bool = False) -> None:
        self._bind(_make(lib.snn_module_relu))


class LeakyReLU(EngineModule):
    """x where x >= 0, else negative_slope * x (torch.nn.LeakyReLU).

    Args:
        negative_slope: the slope for negative inputs (default 0.01).
        inplace: accepted for PyTorch compatibility; the output is always a new tensor.

    Shape:
        Input (*), any shape; output the same shape.

    Example:
        >>> y = nn.LeakyReLU(0.2)(swiftnn.randn(2, 3))
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        self._bind(_make(lib.snn_module_leaky_relu, negative_slope))


class ReLU6(EngineModule):
    """min(max(0, x), 6) elementwise (torch.nn.ReLU6).

    Args:
        inplace: accepted for PyTorch compatibility; the output is always a new tensor.

    Shape:
        Input (*), any shape; output the same shape.

    Example:
        >>> y = nn.ReLU6()(swiftnn.randn(2, 3) * 10)
    """

    def __init__(self, inplace: bool = False) -> None:
        self._bind(_make(lib.snn_module_relu6))


class Tanh(EngineModule):
    """tanh(x) elementwise (torch.nn.Tanh).

    Shape:
        Input (*), any shape; output the same shape.

    Example:
        >>> y = nn.Tanh()(swiftnn.randn(2, 3))
    """

    def __init__(self) -> None:
        self._bind(_make(lib.snn_module_tanh))


class Sigmoid(EngineModule):
    """1 / (1 + exp(-x)) elementwise (torch.nn.Sigmoid).

    Shape:
        Input (*), any shape; output the same shape.

    Example:
        >>> y = nn.Sigmoid()(swiftnn.randn(2, 3))
    """

    def __init__(self) -> None:
        self._bind(_make(lib.snn_module_sigmoid))


class Flatten(EngineModule):
    """Flattens the dimensions start_dim..end_dim into one (torch.nn.Flatten).

    Args:
        start_dim: the first dimension to flatten (default 1: keeps the batch dimension).
        end_dim: the last dimension to flatten (default -1).

    Shape:
        Input (N, *dims); output (N, prod(dims)) with the defaults.

    Example:
        >>> nn.Flatten()(swiftnn.zeros(32, 1, 5, 5)).shape
        swiftnn.Size([32, 25])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self._bind(_make(lib.snn_module_flatten, start_dim, end_dim))


class Linear(EngineModule):
    """y = x W^T + b (torch.nn.Linear); weight (out_features, in_features) and bias
    (out_features) start uniform in (-1/sqrt(in_features), 1/sqrt(in_features)), as PyTorch's.

    Args:
        in_features: the size of each input sample.
        out_features: the size of each output sample.
        bias: whether to learn an additive bias (default True).

    Shape:
        Input (*, in_features); output (*, out_features).

    Example:
        >>> nn.Linear(20, 30)(swiftnn.randn(128, 20)).shape
        swiftnn.Size([128, 30])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        self._bind(_make(lib.snn_module_linear, in_features, out_features, bool(bias)))


class Conv2d(EngineModule):
    """2-D convolution (cross-correlation) over an image batch (torch.nn.Conv2d); weight
    (out_channels, in_channels / groups, kH, kW), bias (out_channels).

    Args:
        in_channels: channels of the input image.
        out_channels: channels produced by the convolution.
        kernel_size: the kernel's size, an int or (kH, kW).
        stride: the step between kernel positions, an int or a pair (default 1).
        padding: zeros added on each side, an int, a pair, 'valid' (0) or 'same' (odd kernels).
        dilation: the spacing between kernel elements (default 1).
        groups: blocked connections from input to output channels (default 1).
        bias: whether to learn an additive bias (default True).
        padding_mode: only 'zeros' is supported.

    Shape:
        Input (N, C_in, H, W); output (N, C_out, H_out, W_out) with
        H_out = floor((H + 2 padding[0] - dilation[0] (kH - 1) - 1) / stride[0] + 1), W_out alike.

    Example:
        >>> nn.Conv2d(16, 33, 3, stride=2)(swiftnn.randn(20, 16, 50, 100)).shape
        swiftnn.Size([20, 33, 24, 49])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrSize, stride: IntOrSize = 1,
                 padding: Union[IntOrSize, str] = 0, dilation: IntOrSize = 1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros") -> None:
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r} (only 'zeros' is supported)")
        k = _pair(kernel_size, "kernel_size")
        if isinstance(padding, str):
            if padding == "valid":
                padding = 0
            elif padding == "same":
                from ..conv import _same_padding
                padding, extra = _same_padding(k, _pair(dilation, "dilation"), _pair(stride, "stride"), "Conv2d")
                if any(extra):
                    raise NotImplementedError(f"Conv2d(padding='same') with kernel {k} needs one more pixel after than "
                                              "before; the engine layer pads symmetrically: use an odd kernel, or "
                                              "F.conv2d(x, weight, padding='same'), which pads the extra pixel first")
            else:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        opts = _conv2d_options(_pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation"), groups)
        self._bind(_make(lib.snn_module_conv2d, in_channels, out_channels, k[0], k[1], ctypes.byref(opts), bool(bias)))


class MaxPool2d(EngineModule):
    """2-D max pooling (torch.nn.MaxPool2d).

    Args:
        kernel_size: the window's size, an int or (kH, kW).
        stride: the window's step (default: kernel_size).
        padding: implicit -inf padding on each side (default 0).
        dilation: the spacing between window elements (default 1).
        return_indices: not supported here (use F.max_pool2d_with_indices).
        ceil_mode: use ceil instead of floor for the output size.

    Shape:
        Input (N, C, H, W); output (N, C, H_out, W_out) with
        H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride + 1), W_out alike.

    Example:
        >>> nn.MaxPool2d(2)(swiftnn.randn(1, 3, 8, 8)).shape
        swiftnn.Size([1, 3, 4, 4])
    """

    def __init__(self, kernel_size: IntOrSize, stride: Optional[IntOrSize] = None, padding: IntOrSize = 0,
                 dilation: IntOrSize = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        if return_indices:
            raise NotImplementedError("MaxPool2d(return_indices=True): use swiftnn.nn.functional.max_pool2d_with_indices")
        opts = _pool_options(kernel_size, stride, padding, dilation, ceil_mode)
        self._bind(_make(lib.snn_module_max_pool2d, ctypes.byref(opts)))


class AvgPool2d(EngineModule):
    """2-D average pooling (torch.nn.AvgPool2d).

    Args:
        kernel_size: the window's size, an int or (kH, kW).
        stride: the window's step (default: kernel_size).
        padding: implicit zero padding on each side (default 0).
        ceil_mode: use ceil instead of floor for the output size.
        count_include_pad: whether the zero padding counts in the average's divisor.
        divisor_override: not supported here (use F.avg_pool2d).

    Shape:
        Input (N, C, H, W); output (N, C, H_out, W_out) with
        H_out = floor((H + 2 padding - kH) / stride + 1), W_out alike.

    Example:
        >>> nn.AvgPool2d(2)(swiftnn.randn(1, 3, 8, 8)).shape
        swiftnn.Size([1, 3, 4, 4])
    """

    def __init__(self, kernel_size: IntOrSize, stride: Optional[IntOrSize] = None, padding: IntOrSize = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Optional[int] = None) -> None:
        if divisor_override is not None:
            raise NotImplementedError("AvgPool2d(divisor_override=...): use swiftnn.nn.functional.avg_pool2d")
        opts = _pool_options(kernel_size, stride, padding, 1, ceil_mode, count_include_pad)
        self._bind(_make(lib.snn_module_avg_pool2d, ctypes.byref(opts)))


class AdaptiveAvgPool2d(EngineModule):
    """2-D average pooling to a fixed output size, whatever the input size (torch.nn.AdaptiveAvgPool2d).

    Args:
        output_size: the output's (H_out, W_out), or one int for both.

    Shape:
        Input (N, C, H, W); output (N, C, H_out, W_out).

    Example:
        >>> nn.AdaptiveAvgPool2d(1)(swiftnn.randn(2, 8, 7, 7)).shape
        swiftnn.Size([2, 8, 1, 1])
    """

    def __init__(self, output_size: IntOrSize) -> None:
        h, w = _pair(output_size, "output_size")
        self._bind(_make(lib.snn_module_adaptive_avg_pool2d, h, w))


class BatchNorm2d(EngineModule):
    """Batch normalization over (N, H, W) per channel (torch.nn.BatchNorm2d): in training, the
    batch's statistics (and the running averages update); in eval mode, the running averages.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability (default 1e-5).
        momentum: the running averages' update factor (default 0.1; None is not supported).
        affine: whether to learn a per-channel scale (weight) and shift (bias).
        track_running_stats: whether to keep running_mean and running_var.

    Shape:
        Input (N, C, H, W); output the same shape.

    Example:
        >>> nn.BatchNorm2d(100)(swiftnn.randn(20, 100, 35, 45)).shape
        swiftnn.Size([20, 100, 35, 45])
    """

    _SPATIAL = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        if momentum is None:
            raise NotImplementedError("BatchNorm: momentum=None (cumulative average) is not supported")
        self._bind(_make(lib.snn_module_batch_norm, num_features, self._SPATIAL, eps, momentum, bool(affine),
                         bool(track_running_stats)))


class BatchNorm1d(BatchNorm2d):
    """Batch normalization over N (and L) per feature (torch.nn.BatchNorm1d); arguments as BatchNorm2d.

    Shape:
        Input (N, C) or (N, C, L); output the same shape.

    Example:
        >>> nn.BatchNorm1d(100)(swiftnn.randn(20, 100)).shape
        swiftnn.Size([20, 100])
    """

    _SPATIAL = 1


class Dropout(EngineModule):
    """In training, zeroes each element with probability p and scales the rest by 1 / (1 - p);
    in eval mode, the identity (torch.nn.Dropout).

    Args:
        p: the probability of an element being zeroed (default 0.5).
        inplace: accepted for PyTorch compatibility; the output is always a new tensor.

    Shape:
        Input (*), any shape; output the same shape.

    Example:
        >>> y = nn.Dropout(p=0.2)(swiftnn.randn(20, 16))
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        self._bind(_make(lib.snn_module_dropout, float(p)))
