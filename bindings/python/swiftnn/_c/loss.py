"""Signatures of swiftnn/loss.h. snn_reduction is a C enum: passed as int."""
from ctypes import POINTER, c_float, c_int, c_int64, c_void_p

H = c_void_p
HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_loss_cross_entropy": [HP, H, H, c_int, c_int64, c_float],
    "snn_loss_nll": [HP, H, H, c_int, c_int64],
    "snn_loss_mse": [HP, H, H, c_int],
}
