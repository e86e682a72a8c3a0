"""Signatures of swiftnn/reduce.h beyond sum/mean: maxima, argmax, softmax, logsumexp, var/std."""
from ctypes import POINTER, c_bool, c_double, c_int64, c_size_t, c_void_p

H = c_void_p
HP = POINTER(c_void_p)
I64P = POINTER(c_int64)

SIGNATURES = {
    "snn_tensor_max_dim": [HP, HP, H, c_int64, c_bool],
    "snn_tensor_min_dim": [HP, HP, H, c_int64, c_bool],
    "snn_tensor_amax": [HP, H, I64P, c_size_t, c_bool],
    "snn_tensor_amin": [HP, H, I64P, c_size_t, c_bool],
    "snn_tensor_argmax": [HP, H, c_int64, c_bool, c_bool],
    "snn_tensor_argmin": [HP, H, c_int64, c_bool, c_bool],
    "snn_tensor_softmax": [HP, H, c_int64],
    "snn_tensor_log_softmax": [HP, H, c_int64],
    "snn_tensor_logsumexp": [HP, H, I64P, c_size_t, c_bool],
    "snn_tensor_var": [HP, H, I64P, c_size_t, c_double, c_bool],
    "snn_tensor_std": [HP, H, I64P, c_size_t, c_double, c_bool],
}
