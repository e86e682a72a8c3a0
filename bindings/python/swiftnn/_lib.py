"""Loads libswiftnn.so, checks its ABI version, declares every C function's argtypes and
restype (from the modules in swiftnn/_c), and turns failed statuses into exceptions."""
import ctypes
import importlib
import os
import pkgutil

ABI_VERSION = 2

c_handle = ctypes.c_void_p
c_handle_p = ctypes.POINTER(ctypes.c_void_p)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_float_p = ctypes.POINTER(ctypes.c_float)


class SwiftNNError(RuntimeError):
    """A SwiftNN call failed; the message is the library's, naming the function and shapes."""
    status = None


class InvalidArgumentError(SwiftNNError, ValueError):
    status = 1


class InvalidHandleError(SwiftNNError):
    status = 2


class ShapeError(SwiftNNError):
    status = 3


class DTypeError(SwiftNNError, TypeError):
    status = 4


class OutOfRangeError(SwiftNNError, IndexError):
    status = 5


class OutOfMemoryError(SwiftNNError, MemoryError):
    status = 6


class SwiftNNIOError(SwiftNNError):
    status = 7


class FormatError(SwiftNNError):
    status = 8


class UnsupportedError(SwiftNNError, NotImplementedError):
    status = 9


class AutogradError(SwiftNNError):
    status = 10


class InternalError(SwiftNNError):
    status = 11


_BY_STATUS = {c.status: c for c in (InvalidArgumentError, InvalidHandleError, ShapeError, DTypeError,
                                   OutOfRangeError, OutOfMemoryError, SwiftNNIOError, FormatError,
                                   UnsupportedError, AutogradError, InternalError)}


# The functions that do not return snn_status: name -> (restype, argtypes). Every other
# export is declared in a SIGNATURES table of swiftnn/_c.
RAW_SIGNATURES = {
    "snn_abi_version": (ctypes.c_int32, []),
    "snn_version": (ctypes.c_char_p, []),
    "snn_cpu_capability": (ctypes.c_char_p, []),
    "snn_status_string": (ctypes.c_char_p, [ctypes.c_int]),
    "snn_last_error": (ctypes.c_char_p, []),
}


def _candidates():
    env = os.environ.get("SWIFTNN_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "libswiftnn.so")
    yield os.path.normpath(os.path.join(here, "..", "..", "..", "build", "lib", "libswiftnn.so"))


def _load():
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
    lib.snn_abi_version.restype = ctypes.c_int32
    lib.snn_abi_version.argtypes = []
    found = lib.snn_abi_version()
    if found != ABI_VERSION:
        raise ImportError(f"swiftnn: {path} has ABI version {found}, but this binding needs {ABI_VERSION}; "
                          "rebuild the library and the binding from the same source")
    for name, (restype, argtypes) in RAW_SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    from . import _c
    for mod in pkgutil.iter_modules(_c.__path__):
        sigs = importlib.import_module(f"{_c.__name__}.{mod.name}").SIGNATURES
        for name, argtypes in sigs.items():
            fn = getattr(lib, name)
            fn.restype = ctypes.c_int
            fn.argtypes = argtypes
    return lib, path


lib, path = _load()


def check(status):
    """Raises the exception for a non-zero status, with the library's message."""
    if status != 0:
        msg = lib.snn_last_error().decode("utf-8", "replace")
        raise _BY_STATUS.get(status, SwiftNNError)(msg)


def call(name, *args):
    check(getattr(lib, name)(*args))


def shape_array(shape):
    shape = tuple(int(d) for d in shape)
    return (ctypes.c_int64 * max(len(shape), 1))(*shape), len(shape)


def live_handles():
    n = ctypes.c_int64()
    check(lib.snn_live_handles(ctypes.byref(n)))
    return n.value
