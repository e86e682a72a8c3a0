"""Convolution, pooling, batch norm, dropout and linear with torch.nn.functional's names,
arguments and defaults (the ops behind CNN layers). Sizes may be ints or (height, width) pairs."""
from __future__ import annotations

import ctypes
import numbers
from typing import Any, Optional, Sequence, Union, cast

from ._ffi import snn_conv2d_options, snn_pool2d_options, snn_pool3d_options
from ._lib import check, lib
from ._options import options
from ._typing import IntOrSize
from .tensor import Tensor, _as_tensor, _new, _wrap_new

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool2d", "batch_norm", "dropout", "linear"]


def _pair(v: Any, name: str) -> tuple[int, int]:
    """An int or a 1- or 2-element sequence as an (h, w) tuple of ints, as PyTorch's _pair."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v), int(v))
    try:
        t = tuple(v)
    except TypeError:
        raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}") from None
    if len(t) == 1:
        t = t * 2
    if len(t) != 2 or not all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in t):
        raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")
    return (int(t[0]), int(t[1]))


def _handle(t: Optional[Tensor]) -> Optional[int]:
    return None if t is None else t._h


def _same_padding(kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int],
                  fn: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """padding='same' as PyTorch: total d (k - 1) per dimension, half before and the rest
    (one more when odd) after. Returns the symmetric part and the extra (bottom, right)."""
    if stride != (1, 1):
        raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntOrSize = 1,
           padding: Union[IntOrSize, str] = 0, dilation: IntOrSize = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of input [N, C, H, W] or [C, H, W] with weight
    [K, C/groups, kh, kw]; padding may also be 'valid' or 'same' (stride 1)."""
    input, weight = _as_tensor(input), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            shape = weight.shape
            padding, extra = _same_padding(cast("tuple[int, int]", tuple(shape[2:4])), dilation, stride, "conv2d")
            if any(extra):
                from .nn.resample import pad as _pad  # the odd pixel goes after, as in PyTorch
                input = _pad(input, (0, extra[1], 0, extra[0]))
        else:
            raise ValueError(f"conv2d: invalid padding string {padding!r}, expected 'valid' or 'same'")
    opts = _conv2d_options(stride, _pair(padding, "padding"), dilation, int(groups))
    return _new(lib.snn_tensor_conv2d, input._h, weight._h, _handle(bias), ctypes.byref(opts))


def _conv2d_options(stride: tuple[int, int], padding: tuple[int, int], dilation: tuple[int, int], groups: int) -> Any:
    """snn_conv2d_options from snn_conv2d_options_init with the given (h, w) pairs and groups."""
    return options(snn_conv2d_options, stride_h=stride[0], stride_w=stride[1], pad_h=padding[0], pad_w=padding[1],
                   dilation_h=dilation[0], dilation_w=dilation[1], groups=int(groups))


def _pool_options(kernel_size: IntOrSize, stride: Optional[IntOrSize], padding: IntOrSize, dilation: IntOrSize = 1,
                  ceil_mode: bool = False, count_include_pad: bool = True,
                  divisor_override: Optional[int] = None) -> Any:
    kernel = _pair(kernel_size, "kernel_size")
    # PyTorch's stride=None (or an empty list) means the kernel size; the C API spells it (0, 0).
    st = (0, 0) if stride is None or (not isinstance(stride, (int, numbers.Integral)) and len(stride) == 0) \
        else _pair(stride, "stride")
    if st != (0, 0) and 0 in st:
        raise ValueError(f"stride should not be zero, got {stride!r}")
    if divisor_override is not None and int(divisor_override) <= 0:
        raise ValueError(f"divisor_override must be positive, got {divisor_override!r}")
    pad, dil = _pair(padding, "padding"), _pair(dilation, "dilation")
    return options(snn_pool2d_options, kernel_h=kernel[0], kernel_w=kernel[1], stride_h=st[0], stride_w=st[1],
                   pad_h=pad[0], pad_w=pad[1], dilation_h=dil[0], dilation_w=dil[1], ceil_mode=bool(ceil_mode),
                   count_include_pad=bool(count_include_pad),
                   divisor_override=0 if divisor_override is None else int(divisor_override))


def max_pool2d(input: Tensor, kernel_size: IntOrSize, stride: Optional[IntOrSize] = None, padding: IntOrSize = 0,
               dilation: IntOrSize = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Max pooling; with return_indices also the int64 position ih * W + iw of each maximum."""
    input = _as_tensor(input)
    opts = _pool_options(kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib.snn_tensor_max_pool2d(ctypes.byref(out), ctypes.byref(idx) if return_indices else None,
                                    input._h, ctypes.byref(opts)))
    result = _wrap_new(out.value)
    return (result, _wrap_new(idx.value)) if return_indices else result


def avg_pool2d(input: Tensor, kernel_size: IntOrSize, stride: Optional[IntOrSize] = None, padding: IntOrSize = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """Average pooling with PyTorch's divisor rules (count_include_pad, divisor_override)."""
    input = _as_tensor(input)
    opts = _pool_options(kernel_size, stride, padding, 1, ceil_mode, count_include_pad, divisor_override)
    return _new(lib.snn_tensor_avg_pool2d, input._h, ctypes.byref(opts))


def _triple(v: Any, name: str) -> tuple[int, int, int]:
    """An int or a 1- or 3-element sequence as a (d, h, w) tuple of ints, as PyTorch's _triple."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),) * 3
    try:
        t = tuple(v)
    except TypeError:
        raise TypeError(f"{name} must be an int or a triple of ints, got {v!r}") from None
    if len(t) == 1:
        t = t * 3
    if len(t) != 3 or not all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in t):
        raise TypeError(f"{name} must be an int or a triple of ints, got {v!r}")
    return (int(t[0]), int(t[1]), int(t[2]))


def _pool3d_options(kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1, ceil_mode: bool = False,
                    count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Any:
    st = (0, 0, 0) if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
        else _triple(stride, "stride")
    if st != (0, 0, 0) and 0 in st:
        raise ValueError(f"stride should not be zero, got {stride!r}")
    if divisor_override is not None and int(divisor_override) <= 0:
        raise ValueError(f"divisor_override must be positive, got {divisor_override!r}")
    return options(snn_pool3d_options, kernel=_triple(kernel_size, "kernel_size"), stride=st,
                   padding=_triple(padding, "padding"), dilation=_triple(dilation, "dilation"),
                   ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                   divisor_override=0 if divisor_override is None else int(divisor_override))


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Max pooling over (depth, height, width) windows of input [N, C, D, H, W] or [C, D, H, W];
    with return_indices also the int64 position (id * H + ih) * W + iw of each maximum."""
    input = _as_tensor(input)
    opts = _pool3d_options(kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib.snn_tensor_max_pool3d(ctypes.byref(out), ctypes.byref(idx) if return_indices else None,
                                    input._h, ctypes.byref(opts)))
    result = Tensor._wrap(out.value)
    assert result is not None  # the call succeeded, so it wrote a handle
    if not return_indices:
        return result
    indices = Tensor._wrap(idx.value)
    assert indices is not None
    return result, indices


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    """Average pooling over (depth, height, width) windows with PyTorch's divisor rules."""
    input = _as_tensor(input)
    opts = _pool3d_options(kernel_size, stride, padding, 1, ceil_mode, count_include_pad, divisor_override)
    return _new(lib.snn_tensor_avg_pool3d, input._h, ctypes.byref(opts))


def adaptive_avg_pool2d(input: Tensor, output_size: Union[Optional[int], Sequence[Optional[int]]]) -> Tensor:
    """Adaptive average pooling to output_size (int, or pair whose entries may be None = keep)."""
    input = _as_tensor(input)
    if isinstance(output_size, (int, numbers.Integral)) or output_size is None:
        output_size = (output_size, output_size)
    size = tuple(output_size)
    if len(size) == 1:
        size = size * 2
    if len(size) != 2:
        raise TypeError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    shape = input.shape
    h = shape[-2] if size[0] is None else int(size[0])
    w = shape[-1] if size[1] is None else int(size[1])
    return _new(lib.snn_tensor_adaptive_avg_pool2d, input._h, h, w)


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Batch normalisation over [N, C, *]; in training the running statistics (if given) are
    updated in place."""
    input = _as_tensor(input)
    if momentum is None:
        raise NotImplementedError("batch_norm: momentum=None (cumulative average) needs a batch counter; "
                                  "pass a float (the BatchNorm module keeps the counter)")
    args = [None if t is None else _as_tensor(t) for t in (running_mean, running_var, weight, bias)]
    return _new(lib.snn_tensor_batch_norm, input._h, *[_handle(t) for t in args], bool(training),
                float(momentum), float(eps))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p (masks from swiftnn.manual_seed's generator) and
    scales the rest by 1 / (1 - p); the identity when not training."""
    if inplace:
        raise NotImplementedError("dropout: inplace=True is not supported; use the returned tensor")
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = _as_tensor(input)
    return _new(lib.snn_tensor_dropout, input._h, p, bool(training))


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight^T + bias, fused: input [..., in], weight [out, in], bias [out]."""
    input, weight = _as_tensor(input), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    return _new(lib.snn_tensor_linear, input._h, weight._h, _handle(bias))
