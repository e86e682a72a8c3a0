"""Signatures of swiftnn/train.h (fit with progress callback, evaluation)."""
import ctypes
from ctypes import CFUNCTYPE, POINTER, Structure, c_bool, c_double, c_int64, c_size_t, c_void_p


class Progress(Structure):
    _fields_ = [("struct_size", c_size_t), ("epoch", c_int64), ("epochs", c_int64), ("step", c_int64),
                ("steps_per_epoch", c_int64), ("global_step", c_int64), ("loss", c_double),
                ("samples_per_second", c_double), ("elapsed_seconds", c_double), ("eta_seconds", c_double),
                ("learning_rate", c_double), ("end_of_epoch", c_bool)]


PROGRESS_FN = CFUNCTYPE(c_bool, POINTER(Progress), c_void_p)


class FitOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("epochs", c_int64), ("report_every", c_int64),
                ("progress", PROGRESS_FN), ("user_data", c_void_p), ("scheduler", c_void_p),
                ("loss_history", POINTER(c_double)), ("loss_history_capacity", c_size_t),
                ("loss_history_count", POINTER(c_size_t))]


SIGNATURES = {
    "snn_fit_options_init": [POINTER(FitOptions)],
    "snn_classifier_fit": [c_void_p, c_void_p, c_void_p, POINTER(FitOptions)],
    "snn_classifier_evaluate": [POINTER(c_double), POINTER(c_double), c_void_p, c_void_p, c_void_p, c_size_t],
}
