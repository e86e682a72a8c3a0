"""DLPack: Tensor.__dlpack__ / __dlpack_device__ and swiftnn.from_dlpack, so numpy (>= 1.22)
and PyTorch take our tensors and we theirs without a copy. The DLPack structs (dlpack.h,
unversioned DLManagedTensor, as every producer still gives by default) are declared here in
ctypes; the engine sees only a data pointer it borrows (snn_tensor_wrap, whose release callback
is the producer's own deleter) or lends (snn_tensor_data_ptr, the capsule holding a handle).
A capsule is consumed once: consuming renames it "used_dltensor", as the standard requires."""
import ctypes
import itertools
import threading

from ._lib import check, lib
from ._ffi import snn_release_fn
from .tensor import Tensor, _DTYPES

KDLCPU = 1
# DLDataTypeCode: kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBool 6; (code, bits) -> snn_dtype name
_FROM_DL = {(2, 32): "float32", (2, 64): "float64", (0, 64): "int64", (0, 32): "int32", (1, 8): "uint8",
            (6, 8): "bool"}
_TO_DL = {v: k for k, v in _FROM_DL.items()}
_CODE_BY_NAME = {d.name: code for code, d in _DTYPES.items()}


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
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_void_p]
_api.PyCapsule_GetName.restype = ctypes.c_char_p
_api.PyCapsule_GetName.argtypes = [ctypes.py_object]

# ---- producing: Tensor.__dlpack__ ----------------------------------------------------------------

# What each exported DLManagedTensor keeps alive (its struct, shape array and a handle to the
# tensor), by manager_ctx, until the consumer calls the deleter (on any thread).
_exports = {}
_exports_lock = threading.Lock()
_keys = itertools.count(1)


def _deleter(managed):
    try:
        with _exports_lock:
            _exports.pop(managed.contents.manager_ctx, None)
    except Exception:  # interpreter shutdown
        pass


_deleter_fn = _Deleter(_deleter)
_deleter_addr = ctypes.cast(_deleter_fn, ctypes.c_void_p).value


# The destructor sees a capsule being freed: only raw-address calls, never a new reference.
_is_valid_raw = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(("PyCapsule_IsValid", _api))
_get_pointer_raw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(("PyCapsule_GetPointer", _api))


def _capsule_destructor(capsule):
    # A capsule nobody consumed still owns its tensor: give it back (DLPack's rule).
    try:
        if _is_valid_raw(capsule, _NAME):
            p = _get_pointer_raw(capsule, _NAME)
            m = ctypes.cast(p, ctypes.POINTER(DLManagedTensor))
            if m.contents.deleter:
                m.contents.deleter(m)
    except Exception:
        pass


_destructor_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_capsule_destructor)
_destructor_addr = ctypes.cast(_destructor_fn, ctypes.c_void_p).value
# Both callbacks can run after this module's globals are cleared at shutdown: never free them.
for _f in (_deleter_fn, _destructor_fn):
    _api.Py_IncRef(ctypes.py_object(_f))


def to_capsule(t, stream=None, max_version=None, dl_device=None, copy=None):
    """Tensor.__dlpack__: a "dltensor" capsule sharing t's memory (copy=True: a copy's)."""
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
    ref = ctypes.c_void_p()
    check(lib.snn_tensor_ref(ctypes.byref(ref), t._h))
    holder = Tensor._wrap(ref.value)
    ptr = ctypes.c_void_p()
    check(lib.snn_tensor_data_ptr(ctypes.byref(ptr), holder._h))
    shape = tuple(holder.shape)
    shape_arr = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    code, bits = _TO_DL[holder.dtype.name]
    m = DLManagedTensor()
    m.dl_tensor.data = ptr.value
    m.dl_tensor.device = DLDevice(KDLCPU, 0)
    m.dl_tensor.ndim = len(shape)
    m.dl_tensor.dtype = DLDataType(code, bits, 1)
    m.dl_tensor.shape = ctypes.cast(shape_arr, ctypes.POINTER(ctypes.c_int64))
    m.dl_tensor.strides = None  # NULL: compact row-major
    m.dl_tensor.byte_offset = 0
    key = next(_keys)
    m.manager_ctx = key
    m.deleter = _deleter_fn
    with _exports_lock:
        _exports[key] = (m, shape_arr, holder)
    return _api.PyCapsule_New(ctypes.addressof(m), _NAME, _destructor_addr)


# ---- consuming: swiftnn.from_dlpack -----------------------------------------------------------

_noop_release = snn_release_fn(lambda ctx: None)
_api.Py_IncRef(ctypes.py_object(_noop_release))


def from_dlpack(ext_tensor):
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
    if not _api.PyCapsule_IsValid(capsule, _NAME):
        name = _api.PyCapsule_GetName(capsule)
        if name == b"used_dltensor":
            raise RuntimeError("swiftnn.from_dlpack: the DLPack capsule was already consumed (a capsule can be "
                               "turned into a tensor only once); call __dlpack__() again for a new one")
        raise TypeError(f"swiftnn.from_dlpack: the capsule is named {name!r}, expected b'dltensor' (an "
                        "unversioned DLPack tensor)")
    addr = _api.PyCapsule_GetPointer(capsule, _NAME)
    managed = DLManagedTensor.from_address(addr)
    dl = managed.dl_tensor
    if dl.device.device_type != KDLCPU:
        raise BufferError(f"swiftnn.from_dlpack: device type {dl.device.device_type}, expected 1 (kDLCPU)")
    dname = _FROM_DL.get((dl.dtype.code, dl.dtype.bits)) if dl.dtype.lanes == 1 else None
    if dname is None:
        raise TypeError(f"swiftnn.from_dlpack: unsupported DLPack dtype (code {dl.dtype.code}, bits {dl.dtype.bits}, "
                        f"lanes {dl.dtype.lanes}); SwiftNN has float32, float64, int64, int32, uint8 and bool")
    if not 0 <= dl.ndim <= 16:
        raise ValueError(f"swiftnn.from_dlpack: ndim {dl.ndim} out of range (0...16)")
    shape = [dl.shape[i] for i in range(dl.ndim)]
    itemsize = dl.dtype.bits // 8
    if dl.strides:
        expected, run = [], 1
        for d in reversed(shape):
            expected.append(run)
            run *= d
        expected.reverse()
        strides = [dl.strides[i] for i in range(dl.ndim)]
        if any(s != e for s, e, d in zip(strides, expected, shape) if d > 1):
            raise ValueError(f"swiftnn.from_dlpack: strides {strides} (shape {shape}) are not compact row-major, "
                             "and SwiftNN tensors are contiguous; make the tensor contiguous first")
    numel = 1
    for d in shape:
        numel *= d
    data = (dl.data or 0) + dl.byte_offset if numel else None
    shp = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    release = (ctypes.cast(managed.deleter, snn_release_fn) if managed.deleter else _noop_release)
    out = ctypes.c_void_p()
    # The wrap is made before the capsule is renamed: if it fails, the capsule still owns the
    # tensor and its destructor gives it back.
    check(lib.snn_tensor_wrap(ctypes.byref(out), data, numel * itemsize, shp, len(shape), _CODE_BY_NAME[dname],
                              release, addr))
    _api.PyCapsule_SetName(capsule, ctypes.addressof(_USED_NAME))
    return Tensor._wrap(out.value)
