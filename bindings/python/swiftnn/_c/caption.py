"""Signatures of swiftnn/caption.h (the image captioner)."""
from ctypes import POINTER, Structure, c_char_p, c_double, c_int64, c_size_t, c_void_p

from .train import FitOptions

H = c_void_p
HP = POINTER(c_void_p)


class CaptionerOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("in_channels", c_int64), ("embed_dim", c_int64),
                ("hidden_size", c_int64), ("base_channels", c_int64), ("conv_blocks", c_int64),
                ("pixel_mean", c_double), ("pixel_std", c_double), ("image_height", c_int64), ("image_width", c_int64),
                ("feature_grid", c_int64)]


class CaptionOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("beam_width", c_int64), ("max_length", c_int64),
                ("length_penalty", c_double), ("end_token", c_int64)]


SIGNATURES = {
    "snn_captioner_options_init": [POINTER(CaptionerOptions)],
    "snn_caption_options_init": [POINTER(CaptionOptions)],
    "snn_captioner_new": [HP, POINTER(CaptionerOptions), c_char_p],
    "snn_captioner_get_options": [POINTER(CaptionerOptions), H],
    "snn_captioner_vocab_size": [POINTER(c_int64), H],
    "snn_captioner_encode": [POINTER(c_int64), c_size_t, POINTER(c_size_t), H, c_char_p],
    "snn_captioner_decode": [c_char_p, c_size_t, POINTER(c_size_t), H, POINTER(c_int64), c_size_t],
    "snn_captioner_loss": [HP, H, H, H],
    "snn_captioner_fit": [H, H, H, POINTER(FitOptions)],
    "snn_captioner_caption": [POINTER(c_int64), c_size_t, POINTER(c_size_t), POINTER(c_double), H, H,
                              POINTER(CaptionOptions)],
    "snn_captioner_caption_image": [POINTER(c_int64), c_size_t, POINTER(c_size_t), POINTER(c_double), H, H,
                                    POINTER(CaptionOptions)],
}
