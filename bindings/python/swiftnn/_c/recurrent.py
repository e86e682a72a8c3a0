"""Signatures of swiftnn/recurrent.h (RNN/LSTM/GRU modules and functional forms, cells,
embedding) and the snn_rnn_options struct."""
from ctypes import POINTER, Structure, c_bool, c_float, c_int, c_int32, c_int64, c_size_t, c_void_p


class snn_rnn_options(Structure):
    """Mirror of the C struct; fill with lib.snn_rnn_options_init (sets struct_size)."""
    _fields_ = [
        ("struct_size", c_size_t),
        ("input_size", c_int64),
        ("hidden_size", c_int64),
        ("num_layers", c_int64),
        ("bias", c_bool),
        ("batch_first", c_bool),
        ("bidirectional", c_bool),
        ("training", c_bool),
        ("dropout", c_float),
        ("nonlinearity", c_int32),
    ]


H = c_void_p
HP = POINTER(c_void_p)
OPTS = POINTER(snn_rnn_options)

SIGNATURES = {
    "snn_rnn_options_init": [OPTS],
    "snn_module_rnn": [HP, OPTS],
    "snn_module_lstm": [HP, OPTS],
    "snn_module_gru": [HP, OPTS],
    "snn_module_rnn_cell": [HP, c_int64, c_int64, c_bool, c_int],
    "snn_module_lstm_cell": [HP, c_int64, c_int64, c_bool],
    "snn_module_gru_cell": [HP, c_int64, c_int64, c_bool],
    "snn_module_embedding": [HP, c_int64, c_int64, c_int64],
    "snn_tensor_rnn": [HP, HP, H, H, HP, c_size_t, H, OPTS],
    "snn_tensor_lstm": [HP, HP, HP, H, H, H, HP, c_size_t, H, OPTS],
    "snn_tensor_gru": [HP, HP, H, H, HP, c_size_t, H, OPTS],
    "snn_tensor_rnn_cell": [HP, H, H, H, H, H, H, c_int],
    "snn_tensor_lstm_cell": [HP, HP, H, H, H, H, H, H, H],
    "snn_tensor_gru_cell": [HP, H, H, H, H, H, H],
    "snn_tensor_embedding": [HP, H, H, c_int64],
}
