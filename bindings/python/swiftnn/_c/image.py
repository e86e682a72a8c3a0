"""Signatures of swiftnn/image.h: PNG files as float32 [C, H, W] tensors in [0, 1]."""
from ctypes import POINTER, c_char_p, c_int64, c_void_p

H = c_void_p
HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_image_read": [HP, c_char_p, c_int64],
    "snn_image_write_png": [H, c_char_p],
}
