"""Signatures of swiftnn/optim.h, and its option structs as ctypes Structures."""
import ctypes
from ctypes import POINTER, c_bool, c_double, c_float, c_int64, c_size_t, c_void_p

H = c_void_p
HP = POINTER(c_void_p)


class SGDOptions(ctypes.Structure):
    """snn_sgd_options."""
    _fields_ = [("struct_size", c_size_t), ("lr", c_double), ("momentum", c_double), ("dampening", c_double),
                ("weight_decay", c_double), ("nesterov", c_bool), ("maximize", c_bool)]


class AdamOptions(ctypes.Structure):
    """snn_adam_options."""
    _fields_ = [("struct_size", c_size_t), ("lr", c_double), ("beta1", c_double), ("beta2", c_double),
                ("eps", c_double), ("weight_decay", c_double), ("amsgrad", c_bool), ("maximize", c_bool)]


SIGNATURES = {
    "snn_sgd_options_init": [POINTER(SGDOptions)],
    "snn_adam_options_init": [POINTER(AdamOptions)],
    "snn_adamw_options_init": [POINTER(AdamOptions)],
    "snn_optimizer_sgd": [HP, HP, c_size_t, POINTER(SGDOptions)],
    "snn_optimizer_adam": [HP, HP, c_size_t, POINTER(AdamOptions)],
    "snn_optimizer_adamw": [HP, HP, c_size_t, POINTER(AdamOptions)],
    "snn_optimizer_add_sgd_group": [H, HP, c_size_t, POINTER(SGDOptions)],
    "snn_optimizer_add_adam_group": [H, HP, c_size_t, POINTER(AdamOptions)],
    "snn_optimizer_num_groups": [POINTER(c_size_t), H],
    "snn_optimizer_step": [H],
    "snn_optimizer_zero_grad": [H, c_bool],
    "snn_optimizer_get_lr": [POINTER(c_double), H, c_size_t],
    "snn_optimizer_set_lr": [H, c_size_t, c_double],
    "snn_optimizer_free": [H],
    "snn_clip_grad_norm": [POINTER(c_float), HP, c_size_t, c_float, c_float],
    "snn_grad_norm": [POINTER(c_float), HP, c_size_t, c_float],
    "snn_lr_scheduler_step_lr": [HP, H, c_int64, c_double],
    "snn_lr_scheduler_multi_step_lr": [HP, H, POINTER(c_int64), c_size_t, c_double],
    "snn_lr_scheduler_cosine": [HP, H, c_int64, c_double],
    "snn_lr_scheduler_linear": [HP, H, c_double, c_double, c_int64],
    "snn_lr_scheduler_step": [H],
    "snn_lr_scheduler_get_lr": [POINTER(c_double), H, c_size_t],
    "snn_lr_scheduler_last_epoch": [POINTER(c_int64), H],
    "snn_lr_scheduler_free": [H],
}
