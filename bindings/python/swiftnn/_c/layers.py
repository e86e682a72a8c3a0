"""Signatures of swiftnn/layers.h (built-in layer constructors)."""
from ctypes import POINTER, c_float, c_int64, c_void_p

HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_module_relu": [HP],
    "snn_module_leaky_relu": [HP, c_float],
    "snn_module_relu6": [HP],
    "snn_module_tanh": [HP],
    "snn_module_sigmoid": [HP],
    "snn_module_flatten": [HP, c_int64, c_int64],
}
