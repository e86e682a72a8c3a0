"""Option structs built the one way the C API offers: the struct's snn_<x>_init (struct_size
and every default, from the library), then the fields given by name."""
import ctypes
from typing import Any, TypeVar

from ._lib import check, lib

_S = TypeVar("_S", bound=ctypes.Structure)


def options(struct: type[_S], **fields: Any) -> _S:
    """A `struct` (an _ffi option struct such as snn_conv2d_options) filled by its _init
    function, with `fields` set on top. Generated structs have __slots__ = (), so a misspelt
    field raises AttributeError."""
    o = struct()
    check(getattr(lib, struct.__name__ + "_init")(ctypes.byref(o)))
    for name, value in fields.items():
        setattr(o, name, value)
    return o
