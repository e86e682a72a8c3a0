"""Signatures of swiftnn/nn.h (modules, state dicts, checkpoints, tensor maps)."""
from ctypes import POINTER, c_bool, c_char_p, c_int64, c_size_t, c_void_p

H = c_void_p
HP = POINTER(c_void_p)
SZP = POINTER(c_size_t)

SIGNATURES = {
    "snn_tensor_copy_": [H, H],
    "snn_module_free": [H],
    "snn_module_forward": [HP, H, H],
    "snn_module_forward_multi": [HP, c_size_t, SZP, H, HP, c_size_t],
    "snn_module_train": [H, c_bool],
    "snn_module_is_training": [POINTER(c_bool), H],
    "snn_module_set_requires_grad": [H, c_bool],
    "snn_module_parameter_count": [POINTER(c_int64), H, c_bool],
    "snn_module_parameters": [HP, c_size_t, SZP, H],
    "snn_module_named_parameters": [HP, H],
    "snn_module_type": [c_char_p, c_size_t, SZP, H],
    "snn_module_child": [HP, H, c_char_p],
    "snn_module_architecture": [c_char_p, c_size_t, SZP, H],
    "snn_module_summary": [c_char_p, c_size_t, SZP, H, POINTER(c_int64), c_size_t],
    "snn_module_state_dict": [HP, H],
    "snn_module_load_state_dict": [H, H, c_bool],
    "snn_module_save": [H, c_char_p],
    "snn_module_load": [HP, c_char_p],
    "snn_module_load_weights": [H, c_char_p, c_bool],
    "snn_module_sequential": [HP, HP, c_size_t, POINTER(c_char_p)],
    "snn_module_sequential_append": [H, H],
    "snn_tensor_map_new": [HP],
    "snn_tensor_map_free": [H],
    "snn_tensor_map_set": [H, c_char_p, H],
    "snn_tensor_map_get": [HP, H, c_char_p],
    "snn_tensor_map_count": [SZP, H],
    "snn_tensor_map_name": [c_char_p, c_size_t, SZP, H, c_size_t],
    "snn_tensor_map_set_metadata": [H, c_char_p, c_char_p],
    "snn_tensor_map_get_metadata": [c_char_p, c_size_t, SZP, H, c_char_p],
    "snn_tensor_map_load": [HP, c_char_p],
    "snn_tensor_map_save": [H, c_char_p],
}
