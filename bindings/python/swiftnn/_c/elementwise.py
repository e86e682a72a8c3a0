"""Signatures of swiftnn/elementwise.h."""
from ctypes import POINTER, c_bool, c_float, c_void_p

H = c_void_p
HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_tensor_neg": [HP, H],
    "snn_tensor_exp": [HP, H],
    "snn_tensor_log": [HP, H],
    "snn_tensor_sqrt": [HP, H],
    "snn_tensor_abs": [HP, H],
    "snn_tensor_tanh": [HP, H],
    "snn_tensor_sigmoid": [HP, H],
    "snn_tensor_relu": [HP, H],
    "snn_tensor_leaky_relu": [HP, H, c_float],
    "snn_tensor_relu6": [HP, H],
    "snn_tensor_clamp": [HP, H, c_float, c_float, c_bool, c_bool],
    "snn_tensor_pow": [HP, H, H],
    "snn_tensor_pow_scalar": [HP, H, c_float],
}
