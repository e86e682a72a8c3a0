"""Built-in layers with torch.nn's names and constructor arguments; each wraps an engine
module (one C call per forward; parameters are the engine's live tensors)."""
import ctypes

from .._lib import check, lib
from ..conv import _conv2d_options, _pair, _pool_options
from .modules import EngineModule


def _make(fn, *args):
    h = ctypes.c_void_p()
    check(fn(ctypes.byref(h), *args))
    return h.value


class ReLU(EngineModule):
    def __init__(self, inplace=False):
        self._bind(_make(lib.snn_module_relu))


class LeakyReLU(EngineModule):
    def __init__(self, negative_slope=0.01, inplace=False):
        self._bind(_make(lib.snn_module_leaky_relu, negative_slope))


class ReLU6(EngineModule):
    def __init__(self, inplace=False):
        self._bind(_make(lib.snn_module_relu6))


class Tanh(EngineModule):
    def __init__(self):
        self._bind(_make(lib.snn_module_tanh))


class Sigmoid(EngineModule):
    def __init__(self):
        self._bind(_make(lib.snn_module_sigmoid))


class Flatten(EngineModule):
    def __init__(self, start_dim=1, end_dim=-1):
        self._bind(_make(lib.snn_module_flatten, start_dim, end_dim))


class Linear(EngineModule):
    def __init__(self, in_features, out_features, bias=True):
        self._bind(_make(lib.snn_module_linear, in_features, out_features, bool(bias)))


class Conv2d(EngineModule):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros"):
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
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        if return_indices:
            raise NotImplementedError("MaxPool2d(return_indices=True): use swiftnn.nn.functional.max_pool2d_with_indices")
        opts = _pool_options(kernel_size, stride, padding, dilation, ceil_mode)
        self._bind(_make(lib.snn_module_max_pool2d, ctypes.byref(opts)))


class AvgPool2d(EngineModule):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
        if divisor_override is not None:
            raise NotImplementedError("AvgPool2d(divisor_override=...): use swiftnn.nn.functional.avg_pool2d")
        opts = _pool_options(kernel_size, stride, padding, 1, ceil_mode, count_include_pad)
        self._bind(_make(lib.snn_module_avg_pool2d, ctypes.byref(opts)))


class AdaptiveAvgPool2d(EngineModule):
    def __init__(self, output_size):
        h, w = _pair(output_size, "output_size")
        self._bind(_make(lib.snn_module_adaptive_avg_pool2d, h, w))


class BatchNorm2d(EngineModule):
    _SPATIAL = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        if momentum is None:
            raise NotImplementedError("BatchNorm: momentum=None (cumulative average) is not supported")
        self._bind(_make(lib.snn_module_batch_norm, num_features, self._SPATIAL, eps, momentum, bool(affine),
                         bool(track_running_stats)))


class BatchNorm1d(BatchNorm2d):
    _SPATIAL = 1


class Dropout(EngineModule):
    def __init__(self, p=0.5, inplace=False):
        self._bind(_make(lib.snn_module_dropout, float(p)))
