"""Signatures of swiftnn/shape.h."""
from ctypes import POINTER, c_int64, c_size_t, c_void_p

H = c_void_p
HP = POINTER(c_void_p)
I64P = POINTER(c_int64)

SIGNATURES = {
    "snn_tensor_reshape": [HP, H, I64P, c_size_t],
    "snn_tensor_flatten": [HP, H, c_int64, c_int64],
    "snn_tensor_squeeze": [HP, H, I64P, c_size_t],
    "snn_tensor_unsqueeze": [HP, H, c_int64],
    "snn_tensor_transpose": [HP, H, c_int64, c_int64],
    "snn_tensor_permute": [HP, H, I64P, c_size_t],
    "snn_tensor_expand": [HP, H, I64P, c_size_t],
    "snn_tensor_slice": [HP, H, c_int64, c_int64, c_int64, c_int64],
    "snn_tensor_select": [HP, H, c_int64, c_int64],
    "snn_tensor_index_select": [HP, H, c_int64, H],
    "snn_tensor_cat": [HP, HP, c_size_t, c_int64],
    "snn_tensor_stack": [HP, HP, c_size_t, c_int64],
}
