"""Signatures and option structs of swiftnn/conv.h (convolution, pooling, batch norm, dropout,
linear)."""
import ctypes
from ctypes import POINTER, c_bool, c_double, c_int64, c_size_t, c_void_p

H = c_void_p
HP = POINTER(c_void_p)


class Conv2dOptions(ctypes.Structure):
    """snn_conv2d_options; construct with Conv2dOptions.make(...) so struct_size is set."""
    _fields_ = [("struct_size", c_size_t),
                ("stride_h", c_int64), ("stride_w", c_int64),
                ("pad_h", c_int64), ("pad_w", c_int64),
                ("dilation_h", c_int64), ("dilation_w", c_int64),
                ("groups", c_int64)]

    @classmethod
    def make(cls, stride, padding, dilation, groups):
        return cls(ctypes.sizeof(cls), *stride, *padding, *dilation, groups)


class Pool2dOptions(ctypes.Structure):
    """snn_pool2d_options; stride (0, 0) means "equal to the kernel"."""
    _fields_ = [("struct_size", c_size_t),
                ("kernel_h", c_int64), ("kernel_w", c_int64),
                ("stride_h", c_int64), ("stride_w", c_int64),
                ("pad_h", c_int64), ("pad_w", c_int64),
                ("dilation_h", c_int64), ("dilation_w", c_int64),
                ("ceil_mode", c_bool),
                ("count_include_pad", c_bool),
                ("divisor_override", c_int64)]

    @classmethod
    def make(cls, kernel, stride, padding, dilation=(1, 1), ceil_mode=False, count_include_pad=True,
             divisor_override=0):
        return cls(ctypes.sizeof(cls), *kernel, *stride, *padding, *dilation, bool(ceil_mode),
                   bool(count_include_pad), divisor_override)


SIGNATURES = {
    "snn_conv2d_options_init": [POINTER(Conv2dOptions)],
    "snn_pool2d_options_init": [POINTER(Pool2dOptions)],
    "snn_tensor_conv2d": [HP, H, H, H, POINTER(Conv2dOptions)],
    "snn_tensor_max_pool2d": [HP, HP, H, POINTER(Pool2dOptions)],
    "snn_tensor_avg_pool2d": [HP, H, POINTER(Pool2dOptions)],
    "snn_tensor_adaptive_avg_pool2d": [HP, H, c_int64, c_int64],
    "snn_tensor_batch_norm": [HP, H, H, H, H, H, c_bool, c_double, c_double],
    "snn_tensor_dropout": [HP, H, c_double, c_bool],
    "snn_tensor_linear": [HP, H, H, H],
}
