"""Image files as tensors (swiftnn/image.h), decoded and encoded by the engine (PNG itself,
JPEG through libjpeg-turbo), so no Pillow is needed: read_image(path, channels=0) and write_png(tensor, path)."""
from __future__ import annotations

import os
from typing import Union

from ._lib import check, lib
from .tensor import Tensor, _new


def read_image(path: Union[str, os.PathLike[str]], channels: int = 0) -> Tensor:
    """A PNG or JPEG file as float32 Tensor [C, H, W] with values in [0, 1] (value / (2^depth - 1);
    JPEG through libjpeg-turbo, loaded at run time: Debian libjpeg62-turbo).
    channels: 0 as stored (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA), 1 luma (ITU-R 601) and 3 RGB
    with alpha composited onto white, or 4 RGBA. Corrupt files raise FormatError, missing
    ones SwiftNNIOError."""
    return _new(lib.snn_image_read, os.fsencode(path), int(channels))


def write_png(tensor: Tensor, path: Union[str, os.PathLike[str]]) -> None:
    """Writes float32 [C, H, W] (C = 1, 2, 3 or 4; values clamped to [0, 1], rounded to 8 bits)
    as a PNG file; read_image gives back exactly what an 8-bit file held."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"write_png: expected a swiftnn.Tensor, got {type(tensor).__name__}")
    check(lib.snn_image_write_png(tensor._h, os.fsencode(path)))
