"""Signatures of swiftnn.h, swiftnn/tensor.h, ops.h, reduce.h and autograd.h (core parts)."""
import ctypes
from ctypes import POINTER, c_bool, c_double, c_float, c_int32, c_int64, c_size_t, c_uint64, c_void_p

H = c_void_p
HP = POINTER(c_void_p)
I64P = POINTER(c_int64)

SIGNATURES = {
    "snn_live_handles": [I64P],
    "snn_set_num_threads": [c_int32],
    "snn_get_num_threads": [POINTER(c_int32)],
    "snn_memory_cached": [I64P],
    "snn_memory_release_cached": [],
    "snn_manual_seed": [c_uint64],
    # tensor.h
    "snn_tensor_free": [H],
    "snn_tensor_from_data": [HP, POINTER(c_float), c_size_t, I64P, c_size_t],
    "snn_tensor_from_int64": [HP, I64P, c_size_t, I64P, c_size_t],
    "snn_tensor_copy_data": [POINTER(c_float), c_size_t, H],
    "snn_tensor_copy_int64": [I64P, c_size_t, H],
    "snn_tensor_ndim": [POINTER(c_size_t), H],
    "snn_tensor_shape": [I64P, c_size_t, H],
    "snn_tensor_numel": [I64P, H],
    "snn_tensor_dtype": [POINTER(ctypes.c_int), H],
    "snn_tensor_item": [POINTER(c_double), H],
    "snn_tensor_clone": [HP, H],
    "snn_tensor_zeros": [HP, I64P, c_size_t],
    "snn_tensor_ones": [HP, I64P, c_size_t],
    "snn_tensor_full": [HP, I64P, c_size_t, c_float],
    "snn_tensor_arange": [HP, c_double, c_double, c_double],
    "snn_tensor_rand": [HP, I64P, c_size_t],
    "snn_tensor_randn": [HP, I64P, c_size_t],
    # ops.h
    "snn_tensor_add": [HP, H, H],
    "snn_tensor_sub": [HP, H, H],
    "snn_tensor_mul": [HP, H, H],
    "snn_tensor_div": [HP, H, H],
    "snn_tensor_matmul": [HP, H, H],
    # reduce.h
    "snn_tensor_sum": [HP, H, I64P, c_size_t, c_bool],
    "snn_tensor_mean": [HP, H, I64P, c_size_t, c_bool],
    # autograd.h
    "snn_tensor_set_requires_grad": [H, c_bool],
    "snn_tensor_requires_grad": [POINTER(c_bool), H],
    "snn_tensor_is_leaf": [POINTER(c_bool), H],
    "snn_tensor_backward": [H, H, c_bool],
    "snn_tensor_grad": [HP, H],
    "snn_tensor_set_grad": [H, H],
    "snn_tensor_zero_grad": [H],
    "snn_tensor_retain_grad": [H],
    "snn_tensor_detach": [HP, H],
    "snn_no_grad_begin": [],
    "snn_no_grad_end": [],
    "snn_is_grad_enabled": [POINTER(c_bool)],
}
