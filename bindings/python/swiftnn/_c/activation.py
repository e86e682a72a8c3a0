"""Signatures of swiftnn/activation.h."""
from ctypes import POINTER, c_float, c_int, c_void_p

H = c_void_p
HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_tensor_hardswish": [HP, H],
    "snn_tensor_hardsigmoid": [HP, H],
    "snn_tensor_gelu": [HP, H, c_int],
    "snn_tensor_silu": [HP, H],
    "snn_tensor_softplus": [HP, H, c_float, c_float],
    "snn_tensor_elu": [HP, H, c_float],
    "snn_tensor_celu": [HP, H, c_float],
    "snn_tensor_selu": [HP, H],
    "snn_tensor_mish": [HP, H],
    "snn_tensor_softsign": [HP, H],
    "snn_tensor_prelu": [HP, H, H],
    "snn_tensor_sin": [HP, H],
    "snn_tensor_cos": [HP, H],
    "snn_tensor_tan": [HP, H],
    "snn_tensor_asin": [HP, H],
    "snn_tensor_acos": [HP, H],
    "snn_tensor_atan": [HP, H],
    "snn_tensor_sinh": [HP, H],
    "snn_tensor_cosh": [HP, H],
    "snn_tensor_asinh": [HP, H],
    "snn_tensor_acosh": [HP, H],
    "snn_tensor_atanh": [HP, H],
    "snn_tensor_erf": [HP, H],
    "snn_tensor_floor": [HP, H],
    "snn_tensor_ceil": [HP, H],
    "snn_tensor_round": [HP, H],
    "snn_tensor_sign": [HP, H],
    "snn_tensor_reciprocal": [HP, H],
}
