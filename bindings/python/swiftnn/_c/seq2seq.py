"""Signatures of swiftnn/seq2seq.h (LSTM or GRU encoder-decoder: train, greedy/beam decoding)."""
from ctypes import POINTER, Structure, c_bool, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint64, c_void_p

from .train import FitOptions


class Seq2SeqConfig(Structure):
    _fields_ = [("struct_size", c_size_t), ("src_vocab", c_int64), ("tgt_vocab", c_int64), ("embed_dim", c_int64),
                ("hidden_size", c_int64), ("num_layers", c_int64), ("bidirectional", c_bool), ("attention", c_int32),
                ("pad_idx", c_int64), ("bos_idx", c_int64), ("eos_idx", c_int64),
                ("cell", c_int32)]


SIGNATURES = {
    "snn_seq2seq_options_init": [POINTER(Seq2SeqConfig)],
    "snn_seq2seq_new": [POINTER(c_void_p), POINTER(Seq2SeqConfig)],
    "snn_seq2seq_loss": [POINTER(c_void_p), c_void_p, c_void_p, c_void_p],
    "snn_seq2seq_train_step": [POINTER(c_double), c_void_p, c_void_p, c_void_p, c_void_p, c_double],
    "snn_seq2seq_fit": [c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_uint64, c_double, POINTER(FitOptions)],
    "snn_seq2seq_greedy": [POINTER(c_void_p), POINTER(c_void_p), c_void_p, c_void_p, c_int64],
    "snn_seq2seq_beam": [POINTER(c_void_p), POINTER(c_void_p), c_void_p, c_void_p, c_int64, c_int64, c_double],
    "snn_seq2seq_score": [POINTER(c_void_p), c_void_p, c_void_p, c_void_p, c_bool],
    "snn_seq2seq_set_tokens": [c_void_p, c_bool, POINTER(c_char_p), c_size_t],
    "snn_seq2seq_tokens": [c_char_p, c_size_t, POINTER(c_size_t), c_void_p, c_bool],
}
