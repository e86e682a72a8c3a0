"""DLPack: Tensor.__dlpack__ / __dlpack_device__ and swiftnn.from_dlpack, so numpy (>= 1.22)
and PyTorch take our tensors and we theirs without a copy. The engine produces and consumes
the DLManagedTensor (snn_tensor_to_dlpack, snn_tensor_from_dlpack in swiftnn/interop.h); this
module handles the Python capsule around it: named "dltensor", renamed "used_dltensor" when
consumed (a capsule is consumed once, as the standard requires), and given back through its
deleter by the capsule's destructor if nobody consumed it. The ctypes structs below only read
that deleter."""
from __future__ import annotations

import ctypes
from typing import Any, Callable, Optional

from ._lib import check, lib
from .tensor import Tensor, _wrap_new

KDLCPU = 1


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32), ("dtype", DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))
DLManagedTensor._fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter)]

# Capsule names must outlive every capsule: static buffers that are never freed.
_NAME = ctypes.create_string_buffer(b"dltensor")
_USED_NAME = ctypes.create_string_buffer(b"used_dltensor")

_api = ctypes.pythonapi


def _capi(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
    """A private prototype of a CPython API function (ctypes.pythonapi's shared attributes are
    left alone, so other users of them keep their own argtypes)."""
    return ctypes.PYFUNCTYPE(restype, *argtypes)((name, _api))


_capsule_new = _capi("PyCapsule_New", ctypes.py_object, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
_capsule_is_valid = _capi("PyCapsule_IsValid", ctypes.c_int, ctypes.py_object, ctypes.c_char_p)
_capsule_get_pointer = _capi("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)
_capsule_set_name = _capi("PyCapsule_SetName", ctypes.c_int, ctypes.py_object, ctypes.c_void_p)
_capsule_get_name = _capi("PyCapsule_GetName", ctypes.c_char_p, ctypes.py_object)

# ---- producing: Tensor.__dlpack__ (the engine's snn_tensor_to_dlpack) -----------------------

# The destructor sees a capsule being freed: only raw-address calls, never a new reference.
_is_valid_raw = _capi("PyCapsule_IsValid", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)
_get_pointer_raw = _capi("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)


def _capsule_destructor(capsule: Optional[int]) -> None:
    # A capsule nobody consumed still owns its tensor: give it back (DLPack's rule).
    try:
        if _is_valid_raw(capsule, _NAME):
            m = ctypes.cast(_get_pointer_raw(capsule, _NAME), ctypes.POINTER(DLManagedTensor))
            if m.contents.deleter:
                m.contents.deleter(m)
    except Exception:
        pass


_destructor_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_capsule_destructor)
_destructor_addr = ctypes.cast(_destructor_fn, ctypes.c_void_p).value
# The destructor can run after this module's globals are cleared at shutdown: never free it.
_api.Py_IncRef(ctypes.py_object(_destructor_fn))


def to_capsule(t: Tensor, stream: Any = None, max_version: Optional[tuple[int, int]] = None,
               dl_device: Optional[tuple[int, int]] = None, copy: Optional[bool] = None) -> Any:
    """Tensor.__dlpack__: a "dltensor" capsule sharing t's memory (copy=True: a copy's).
    max_version is accepted and the unversioned capsule returned, which every consumer reads."""
    if stream is not None and stream != -1:
        raise BufferError(f"swiftnn: __dlpack__(stream={stream!r}): SwiftNN tensors are on the CPU, which has "
                          "no streams; pass stream=None")
    if dl_device is not None and tuple(dl_device) != (KDLCPU, 0):
        raise BufferError(f"swiftnn: __dlpack__(dl_device={dl_device!r}): only the CPU (1, 0) is supported")
    if copy:
        t = t.clone()
    if t.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    writable = ctypes.c_bool()
    check(lib.snn_tensor_is_writable(ctypes.byref(writable), t._h))
    if not writable.value:
        if copy is False:
            raise BufferError("swiftnn: the tensor wraps read-only memory, which unversioned DLPack cannot mark "
                              "read-only; pass copy=True")
        t = t.clone()
    managed = ctypes.c_void_p()
    check(lib.snn_tensor_to_dlpack(ctypes.byref(managed), t._h))
    return _capsule_new(managed.value, _NAME, _destructor_addr)


# ---- consuming: swiftnn.from_dlpack (the engine's snn_tensor_from_dlpack) ----------------------

def from_dlpack(ext_tensor: Any) -> Tensor:
    """swiftnn.from_dlpack(obj): a tensor sharing the memory of any object with __dlpack__
    (numpy arrays, torch tensors, swiftnn tensors) or of a "dltensor" capsule. CPU tensors of
    float32, float64, int64, int32, uint8 or bool, compact row-major."""
    if hasattr(ext_tensor, "__dlpack__"):
        if hasattr(ext_tensor, "__dlpack_device__"):
            dev = tuple(ext_tensor.__dlpack_device__())
            if int(dev[0]) != KDLCPU:
                raise BufferError(f"swiftnn.from_dlpack: the tensor is on DLPack device {dev}; SwiftNN needs "
                                  "CPU memory (device type 1)")
        capsule = ext_tensor.__dlpack__()
    else:
        capsule = ext_tensor
    if type(capsule).__name__ != "PyCapsule":
        raise TypeError(f"swiftnn.from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got "
                        f"{type(ext_tensor).__name__}")
    if not _capsule_is_valid(capsule, _NAME):
        name = _capsule_get_name(capsule)
        if name == b"used_dltensor":
            raise RuntimeError("swiftnn.from_dlpack: the DLPack capsule was already consumed (a capsule can be "
                               "turned into a tensor only once); call __dlpack__() again for a new one")
        raise TypeError(f"swiftnn.from_dlpack: the capsule is named {name!r}, expected b'dltensor' (an "
                        "unversioned DLPack tensor)")
    out = ctypes.c_void_p()
    # The engine takes the DLManagedTensor only on success; then the capsule is marked used, so
    # that its destructor leaves the deleter to the engine. On failure the capsule still owns it.
    check(lib.snn_tensor_from_dlpack(ctypes.byref(out), _capsule_get_pointer(capsule, _NAME)))
    _capsule_set_name(capsule, ctypes.addressof(_USED_NAME))
    return _wrap_new(out.value)
