"""Signatures of swiftnn/layers.h (built-in layer constructors)."""
from ctypes import POINTER, c_bool, c_double, c_float, c_int32, c_int64, c_void_p

from .conv import Conv2dOptions, Pool2dOptions

HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_module_relu": [HP],
    "snn_module_leaky_relu": [HP, c_float],
    "snn_module_relu6": [HP],
    "snn_module_tanh": [HP],
    "snn_module_sigmoid": [HP],
    "snn_module_flatten": [HP, c_int64, c_int64],
    "snn_module_linear": [HP, c_int64, c_int64, c_bool],
    "snn_module_conv2d": [HP, c_int64, c_int64, c_int64, c_int64, POINTER(Conv2dOptions), c_bool],
    "snn_module_max_pool2d": [HP, POINTER(Pool2dOptions)],
    "snn_module_avg_pool2d": [HP, POINTER(Pool2dOptions)],
    "snn_module_adaptive_avg_pool2d": [HP, c_int64, c_int64],
    "snn_module_batch_norm": [HP, c_int64, c_int32, c_double, c_double, c_bool, c_bool],
    "snn_module_dropout": [HP, c_double],
}
