"""Loads libswiftnn.so, checks its ABI version, declares every C function's argtypes and
restype (from the generated _ffi.FUNCTIONS), and turns failed statuses into exceptions."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Iterable, Iterator, Optional

from . import _ffi

ABI_VERSION = _ffi.ABI_VERSION

c_handle = ctypes.c_void_p
c_handle_p = ctypes.POINTER(ctypes.c_void_p)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_float_p = ctypes.POINTER(ctypes.c_float)


class SwiftNNError(RuntimeError):
    """A SwiftNN call failed; the message is the library's, naming the function and shapes."""
    status: Optional[int] = None


# One class per failure status, named by the header's status name; the values come from the
# generated _ffi. The second base lets `except ValueError` (and so on) work as with PyTorch. A
# status the header adds later raises plain SwiftNNError until it gets a class here.
class InvalidArgumentError(SwiftNNError, ValueError):
    """An argument was out of its domain (SNN_ERR_INVALID_ARGUMENT); also a ValueError."""
    status = _ffi.SNN_ERR_INVALID_ARGUMENT


class InvalidHandleError(SwiftNNError):
    """A handle was NULL, freed or of the wrong kind (SNN_ERR_INVALID_HANDLE)."""
    status = _ffi.SNN_ERR_INVALID_HANDLE


class ShapeError(SwiftNNError):
    """Shapes did not agree with what the call expected (SNN_ERR_SHAPE)."""
    status = _ffi.SNN_ERR_SHAPE


class DTypeError(SwiftNNError, TypeError):
    """A tensor had a dtype the call does not take (SNN_ERR_DTYPE); also a TypeError."""
    status = _ffi.SNN_ERR_DTYPE


class OutOfRangeError(SwiftNNError, IndexError):
    """An index was out of range (SNN_ERR_OUT_OF_RANGE); also an IndexError."""
    status = _ffi.SNN_ERR_OUT_OF_RANGE


class OutOfMemoryError(SwiftNNError, MemoryError):
    """An allocation failed or a size overflowed (SNN_ERR_OUT_OF_MEMORY); also a MemoryError."""
    status = _ffi.SNN_ERR_OUT_OF_MEMORY


class SwiftNNIOError(SwiftNNError):
    """A file could not be read or written (SNN_ERR_IO)."""
    status = _ffi.SNN_ERR_IO


class FormatError(SwiftNNError):
    """A file was not in the expected format, or was corrupt (SNN_ERR_FORMAT)."""
    status = _ffi.SNN_ERR_FORMAT


class UnsupportedError(SwiftNNError, NotImplementedError):
    """The engine does not support this case (SNN_ERR_UNSUPPORTED); also a NotImplementedError."""
    status = _ffi.SNN_ERR_UNSUPPORTED


class AutogradError(SwiftNNError):
    """An autograd rule was broken, e.g. backward through a freed graph (SNN_ERR_AUTOGRAD)."""
    status = _ffi.SNN_ERR_AUTOGRAD


class InternalError(SwiftNNError):
    """A bug in SwiftNN itself (SNN_ERR_INTERNAL); please report it."""
    status = _ffi.SNN_ERR_INTERNAL


_BY_STATUS = {c.status: c for c in (InvalidArgumentError, InvalidHandleError, ShapeError, DTypeError,
                                   OutOfRangeError, OutOfMemoryError, SwiftNNIOError, FormatError,
                                   UnsupportedError, AutogradError, InternalError)}


def _candidates() -> Iterator[str]:
    env = os.environ.get("SWIFTNN_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "libswiftnn.so")
    yield os.path.normpath(os.path.join(here, "..", "..", "..", "build", "lib", "libswiftnn.so"))


def _load() -> tuple[ctypes.CDLL, str]:
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            lib = ctypes.CDLL(path)
            break
        tried.append(path)
    else:
        raise ImportError("swiftnn: libswiftnn.so not found (tried " + ", ".join(tried) +
                          "); build it with `make lib`, install with `pip install ./bindings/python`, "
                          "or point SWIFTNN_LIB at it")
    sig: Any = _ffi.FUNCTIONS["snn_abi_version"]  # the generated (restype, argtypes)
    restype, argtypes = sig
    lib.snn_abi_version.restype, lib.snn_abi_version.argtypes = restype, argtypes
    found = lib.snn_abi_version()
    if found != ABI_VERSION:
        raise ImportError(f"swiftnn: {path} has ABI version {found}, but this binding needs {ABI_VERSION}; "
                          "rebuild the library and the binding from the same source")
    for name, (restype, argtypes) in _ffi.FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib, path


lib, path = _load()


def check(status: int) -> None:
    """Raises the exception for a non-zero status, with the library's message."""
    if status != _ffi.SNN_OK:
        msg = lib.snn_last_error().decode("utf-8", "replace")
        raise _BY_STATUS.get(status, SwiftNNError)(msg)


def call(name: str, *args: Any) -> None:
    """Calls the C function `name` and raises on a failed status (check)."""
    check(getattr(lib, name)(*args))


def shape_array(shape: Iterable[Any]) -> tuple[ctypes.Array[ctypes.c_int64], int]:
    """A shape as the (int64_t *, count) pair the C API takes; ints are converted with int()."""
    shape = tuple(int(d) for d in shape)
    return (ctypes.c_int64 * max(len(shape), 1))(*shape), len(shape)


def live_handles() -> int:
    """The number of engine handles alive in this process (snn_live_handles): for leak checks."""
    n = ctypes.c_int64()
    check(lib.snn_live_handles(ctypes.byref(n)))
    return n.value
