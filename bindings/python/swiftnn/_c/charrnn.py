"""Signatures of swiftnn/charrnn.h (the char-RNN language model) and its options struct."""
from ctypes import POINTER, Structure, c_char_p, c_double, c_int64, c_size_t, c_uint64, c_void_p

from .train import PROGRESS_FN


class CharRNNTrainOptions(Structure):
    """Mirror of snn_charrnn_fit_options; fill with lib.snn_charrnn_fit_options_init."""
    _fields_ = [("struct_size", c_size_t), ("seq_len", c_int64), ("batch_size", c_int64), ("epochs", c_int64),
                ("max_steps", c_int64), ("lr", c_double), ("clip", c_double), ("report_every", c_int64),
                ("progress", PROGRESS_FN), ("user_data", c_void_p), ("loss_history", POINTER(c_double)),
                ("loss_history_capacity", c_size_t), ("loss_history_count", POINTER(c_size_t))]


SIGNATURES = {
    "snn_charrnn_new": [POINTER(c_void_p), c_char_p, c_size_t, c_int64, c_int64, c_int64],
    "snn_charrnn_vocab_of": [c_char_p, c_size_t, POINTER(c_size_t), c_char_p, c_size_t],
    "snn_charrnn_vocab": [c_char_p, c_size_t, POINTER(c_size_t), c_void_p],
    "snn_charrnn_fit_options_init": [POINTER(CharRNNTrainOptions)],
    "snn_charrnn_fit": [c_void_p, c_char_p, c_size_t, POINTER(CharRNNTrainOptions)],
    "snn_charrnn_evaluate": [POINTER(c_double), c_void_p, c_char_p, c_size_t, c_int64, c_int64],
    "snn_charrnn_sample": [c_char_p, c_size_t, POINTER(c_size_t), c_void_p, c_char_p, c_int64, c_double, c_uint64],
}
