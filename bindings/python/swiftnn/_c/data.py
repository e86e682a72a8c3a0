"""Signatures of swiftnn/data.h: IDX and MNIST loading, the data loader."""
from ctypes import POINTER, c_bool, c_char_p, c_size_t, c_uint64, c_void_p

H = c_void_p
HP = POINTER(c_void_p)

SIGNATURES = {
    "snn_idx_load": [HP, c_char_p],
    "snn_mnist_load": [HP, HP, c_char_p, c_bool],
    "snn_dataloader_new": [HP, H, H, c_size_t, c_bool, c_uint64, c_bool],
    "snn_dataloader_len": [POINTER(c_size_t), H],
    "snn_dataloader_next": [HP, HP, POINTER(c_bool), H],
    "snn_dataloader_reset": [H],
    "snn_dataloader_set_epoch": [H, c_uint64],
    "snn_dataloader_epoch": [POINTER(c_uint64), H],
    "snn_dataloader_free": [H],
}
