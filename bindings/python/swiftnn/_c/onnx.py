"""Signatures of swiftnn/onnx.h (ONNX export by tracing, and import)."""
from ctypes import POINTER, c_char_p, c_size_t, c_void_p

H = c_void_p
HP = POINTER(c_void_p)
SZP = POINTER(c_size_t)
NAMES = POINTER(c_char_p)

SIGNATURES = {
    "snn_onnx_export": [H, H, c_char_p],
    "snn_onnx_trace_begin": [HP],
    "snn_onnx_trace_end": [H],
    "snn_onnx_trace_export": [H, HP, c_size_t, NAMES, HP, c_size_t, NAMES, H, c_char_p],
    "snn_onnx_trace_count": [SZP, H],
    "snn_onnx_trace_free": [H],
    "snn_onnx_load": [HP, c_char_p],
    "snn_onnx_input_count": [SZP, H],
    "snn_onnx_input_name": [c_char_p, c_size_t, SZP, H, c_size_t],
    "snn_onnx_output_count": [SZP, H],
    "snn_onnx_output_name": [c_char_p, c_size_t, SZP, H, c_size_t],
}
