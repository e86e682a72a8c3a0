"""Reading PyTorch checkpoints (torch.save output: the zip format of torch >= 1.6 or the legacy
pre-zip format) without torch: numpy and a restricted unpickler. `swiftnn.models` loads
torchvision's .pth files through it, and tools/torch_to_safetensors.py converts with it.

Pickles can run code, so the unpickler resolves only the few torch/collections/builtins names
a checkpoint of tensors needs (torch._utils._rebuild_tensor_v2, OrderedDict, the storage types,
...) and refuses everything else (os.system, a pickled nn.Module, ...) with ConversionError.
Tensors are rebuilt from their storages with numpy (offset, size, stride, checked against the
storage) and returned as float32/int64, the two dtypes SwiftNN reads, unless keep_dtypes.
"""
from __future__ import annotations

import collections
import io
import math
import os
import pickle
import struct
import zipfile
import zlib
from typing import IO, Any, Callable, Mapping, NoReturn, Optional, Sequence, Union

import numpy as np

_Read = Callable[[], bytes]                          # a storage's bytes, read on demand
_StorageFor = Callable[[str, str, int], "Storage"]   # (key, dtype, numel) -> the storage
_Path = Union[str, "os.PathLike[str]"]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


class ConversionError(Exception):
    """The input is not a checkpoint this tool can convert safely (the message says why)."""


# ---- dtypes ---------------------------------------------------------------------------------
# torch dtype name -> numpy dtype of its little-endian bytes (bfloat16: raw uint16 bits).
_NUMPY = {
    "float32": "<f4", "float64": "<f8", "float16": "<f2", "bfloat16": "<u2",
    "int64": "<i8", "int32": "<i4", "int16": "<i2", "int8": "i1", "uint8": "u1", "bool": "?",
    "uint16": "<u2", "uint32": "<u4", "uint64": "<u8", "complex64": "<c8", "complex128": "<c16",
}
# Legacy typed-storage classes (what torch.save records for each tensor's storage).
_STORAGE_DTYPE = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
    "UntypedStorage": "uint8",
}
# dtype objects appear in pickles as torch.<name> (e.g. _rebuild_tensor_v3's dtype argument).
_DTYPE_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                  "int": "int32", "short": "int16", "cfloat": "complex64", "cdouble": "complex128"}
# What SwiftNN reads: everything floating becomes float32, everything integral int64.
_TO_SWIFTNN = {"float64": "float32", "float16": "float32", "bfloat16": "float32",
               "int32": "int64", "int16": "int64", "int8": "int64", "uint8": "int64", "bool": "int64",
               "uint16": "int64", "uint32": "int64", "uint64": "int64"}


class _StorageType:
    __slots__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype


class _DType:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Storage:
    """A flat run of `numel` elements of `dtype`; `read` returns its bytes (called once)."""
    __slots__ = ("dtype", "numel", "key", "_read", "_array")

    dtype: str
    numel: int
    key: str
    _read: _Read
    _array: Optional[np.ndarray[Any, Any]]

    def __init__(self, dtype: str, numel: int, key: str, read: _Read) -> None:
        self.dtype, self.numel, self.key, self._read, self._array = dtype, numel, key, read, None

    def array(self) -> np.ndarray[Any, Any]:
        if self._array is None:
            nbytes = self.numel * np.dtype(_NUMPY[self.dtype]).itemsize
            data = self._read()
            if len(data) < nbytes:
                raise ConversionError(f"storage {self.key!r} holds {len(data)} bytes, its tensors need {nbytes} "
                                      f"({self.numel} x {self.dtype}): truncated or corrupt file")
            self._array = np.frombuffer(data, dtype=_NUMPY[self.dtype], count=self.numel)
        return self._array


class Tensor:
    """A tensor as the checkpoint describes it; `numpy()` rebuilds it (a contiguous copy)."""
    __slots__ = ("storage", "offset", "shape", "stride", "dtype")

    storage: Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: str

    def __init__(self, storage: Storage, offset: int, shape: Sequence[int], stride: Sequence[int],
                 dtype: Optional[str] = None) -> None:
        if not isinstance(storage, Storage):
            raise ConversionError(f"tensor rebuilt from {type(storage).__name__}, not a storage")
        ints = (offset, *shape, *stride)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in ints) or len(shape) != len(stride):
            raise ConversionError(f"tensor with invalid offset/size/stride {offset}/{shape}/{stride}")
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)
        self.dtype = dtype or storage.dtype

    def numel(self) -> int:
        return math.prod(self.shape)

    def numpy(self) -> np.ndarray[Any, Any]:
        """The values in the checkpoint's dtype (bfloat16 as float32), C-contiguous, little-endian."""
        flat = self.storage.array()
        if self.dtype != self.storage.dtype:   # _rebuild_tensor_v3: typed view of untyped bytes
            if flat.nbytes % np.dtype(_NUMPY[self.dtype]).itemsize:
                raise ConversionError(f"storage {self.storage.key!r} of {flat.nbytes} bytes cannot hold "
                                      f"{self.dtype} elements")
            flat = flat.view(np.uint8).view(_NUMPY[self.dtype])
        if self.numel() == 0:
            out = np.zeros(self.shape, flat.dtype)
        else:
            last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride))
            if last >= flat.size:
                raise ConversionError(f"tensor of size {list(self.shape)}, stride {list(self.stride)} at offset "
                                      f"{self.offset} reaches element {last} of storage {self.storage.key!r}, "
                                      f"which has {flat.size}")
            view = np.lib.stride_tricks.as_strided(flat[self.offset:], shape=self.shape,
                                                   strides=[s * flat.itemsize for s in self.stride], writeable=False)
            out = np.array(view, order="C")
        if self.dtype == "bfloat16":
            out = (out.astype(np.uint32) << 16).view(np.float32)
        return out.astype(out.dtype.newbyteorder("<"), copy=False)


def _fail(msg: str) -> NoReturn:
    raise ConversionError(msg)


# ---- the restricted unpickler -----------------------------------------------------------------
def _rebuild_tensor(storage: Storage, storage_offset: int, size: Sequence[int], stride: Sequence[int],
                    *_: object) -> Tensor:
    return Tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(storage: Storage, storage_offset: int, size: Sequence[int], stride: Sequence[int],
                       requires_grad: object, backward_hooks: object, dtype: object, *_: object) -> Tensor:
    if not isinstance(dtype, _DType):
        raise ConversionError("_rebuild_tensor_v3 without a dtype")
    return Tensor(storage, storage_offset, size, stride, dtype.name)


def _rebuild_parameter(data: object, *_: object) -> object:
    return data


def _rebuild_from_type_v2(func: Callable[..., object], new_type: object, args: Sequence[object],
                          state: object) -> object:
    if func not in (_rebuild_tensor, _rebuild_tensor_v3, _rebuild_parameter) or new_type not in (_TensorClass, _ParameterClass):
        raise ConversionError("_rebuild_from_type_v2 of something other than a tensor or parameter")
    return func(*args)


class _TensorClass:   # stands for torch.Tensor / torch.nn.Parameter in _rebuild_from_type_v2
    __slots__ = ()


class _ParameterClass:
    __slots__ = ()


def _encode(text: object, encoding: str = "latin1") -> bytes:
    """_codecs.encode, which protocol-2 pickles use to spell bytes; only that use is allowed."""
    if not isinstance(text, str) or encoding != "latin1":
        raise ConversionError("_codecs.encode used for something other than bytes")
    return text.encode("latin1")


def _size(*args: Sequence[int]) -> tuple[int, ...]:
    return tuple(*args)


def _device(*args: object) -> str:
    return str(args[0]) if args else "cpu"


_ALLOWED: dict[tuple[str, str], object] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray, ("builtins", "complex"): complex,
    ("_codecs", "encode"): _encode,
    ("torch", "Size"): _size,
    ("torch", "device"): _device,
    ("torch", "Tensor"): _TensorClass,
    ("torch.nn.parameter", "Parameter"): _ParameterClass,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch.tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,   # torch < 1.9 module name
}
_ALLOWED.update({("torch", n): _StorageType(d) for n, d in _STORAGE_DTYPE.items()})
_ALLOWED[("torch.storage", "UntypedStorage")] = _StorageType("uint8")
_ALLOWED.update({("torch", n): _DType(n) for n in _NUMPY})
_ALLOWED.update({("torch", a): _DType(n) for a, n in _DTYPE_ALIASES.items()})


class _Unpickler(pickle.Unpickler):
    """pickle.Unpickler that resolves only _ALLOWED names and turns storages into Storage."""

    def __init__(self, file: IO[bytes], storage_for: _StorageFor, what: str) -> None:
        super().__init__(file)
        self._storage_for, self._what = storage_for, what

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return self._load_from_bytes
        found = _ALLOWED.get((module, name))
        if found is None:
            hint = ""
            if module == "torch._utils" and name.startswith("_rebuild_"):
                hint = " Sparse, quantized and other special tensors are not supported."
            elif module.startswith("torch.nn.modules") or not module.startswith(("torch", "builtins", "collections", "_")):
                hint = (" If this is a whole model saved with torch.save(model), load it with torch and save "
                        "model.state_dict() instead.")
            raise ConversionError(f"refusing to load global '{module}.{name}' from {self._what}: checkpoint pickles "
                                  f"can run code, so only tensor, storage and container names are allowed.{hint}")
        return found

    def _load_from_bytes(self, data: object) -> Storage:
        """A storage pickled with plain pickle: bytes holding a nested torch.save file."""
        if not isinstance(data, (bytes, bytearray)):
            raise ConversionError("torch.storage._load_from_bytes without bytes")
        obj, storages, _ = _load_file(io.BytesIO(bytes(data)), f"{self._what} (nested storage)")
        for s in storages:
            s.array()
        if not isinstance(obj, Storage):
            raise ConversionError("torch.storage._load_from_bytes did not hold a storage")
        return obj

    def persistent_load(self, pid: Any) -> Storage:
        if not isinstance(pid, tuple) or not pid:
            raise ConversionError(f"unexpected persistent id {pid!r} in {self._what}")
        kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module":
            raise ConversionError(f"{self._what} holds a pickled nn.Module class (a whole model saved with "
                                  "torch.save(model)); load it with torch and save model.state_dict() instead")
        if kind != "storage" or len(pid) not in (5, 6) or not isinstance(pid[1], _StorageType):
            raise ConversionError(f"unexpected persistent id {pid!r} in {self._what}")
        storage_type, key, _location, numel = pid[1:5]
        key = key.decode("ascii") if isinstance(key, bytes) else str(key)
        if not isinstance(numel, int) or numel < 0:
            raise ConversionError(f"storage {key!r} with invalid size {numel!r}")
        storage = self._storage_for(key, storage_type.dtype, numel)
        view = pid[5] if len(pid) == 6 else None
        if view is not None:   # legacy storage view: (view_key, offset, size) in elements of the root
            if not (isinstance(view, tuple) and len(view) == 3 and all(isinstance(v, int) and v >= 0 for v in view[1:])):
                raise ConversionError(f"invalid storage view {view!r} in {self._what}")
            _, offset, size = view
            itemsize = np.dtype(_NUMPY[storage.dtype]).itemsize
            return Storage(storage.dtype, size, f"{key}[{offset}:{offset + size}]",
                           lambda: storage.array().tobytes()[offset * itemsize:(offset + size) * itemsize])
        return storage


def _unpickle(data: Union[bytes, IO[bytes]], storage_for: _StorageFor, what: str) -> Any:
    try:
        return _Unpickler(io.BytesIO(data) if isinstance(data, bytes) else data, storage_for, what).load()
    except ConversionError:
        raise
    except (EOFError, pickle.UnpicklingError) as e:
        raise ConversionError(f"{what} is truncated or corrupt ({type(e).__name__}: {e})") from None
    except Exception as e:   # a malformed pickle can fail in many ways; none of them may escape raw
        raise ConversionError(f"{what} is corrupt ({type(e).__name__}: {e})") from None


# ---- the two container formats ----------------------------------------------------------------
def _load_zip(f: IO[bytes], what: str) -> tuple[Any, list[Storage]]:
    try:
        zf = zipfile.ZipFile(f)
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ConversionError(f"{what} starts like a zip archive but is truncated or corrupt ({e})") from None
    pkls = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if any(n.endswith(("/constants.pkl", "/code/")) or "/code/" in n for n in names) and not pkls:
        raise ConversionError(f"{what} is a TorchScript archive (torch.jit.save), not a torch.save checkpoint")
    if len(pkls) != 1:
        raise ConversionError(f"{what} is a zip archive without exactly one <name>/data.pkl: not a torch.save checkpoint")
    prefix = pkls[0][:-len("data.pkl")]
    big = False
    if prefix + "byteorder" in names:
        order = zf.read(prefix + "byteorder")
        if order not in (b"little", b"big"):
            raise ConversionError(f"{what}: unknown byte order {order!r}")
        big = order == b"big"
    storages: dict[str, Storage] = {}

    def storage_for(key: str, dtype: str, numel: int) -> Storage:
        if key not in storages:
            name = f"{prefix}data/{key}"
            if name not in names:
                raise ConversionError(f"{what} lacks the record {name} for storage {key!r}")

            def read(name: str = name) -> bytes:
                try:
                    return zf.read(name)
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
                    raise ConversionError(f"{what}: record {name} is truncated or corrupt ({e})") from None
            storages[key] = Storage(dtype, numel, key, _swapped(read, dtype) if big else read)
        return storages[key]

    try:
        data = zf.read(pkls[0])
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise ConversionError(f"{what}: {pkls[0]} is truncated or corrupt ({e})") from None
    return _unpickle(data, storage_for, f"{what} ({pkls[0]})"), list(storages.values())


def _swapped(read: _Read, dtype: str) -> _Read:
    def swap() -> bytes:
        raw = np.frombuffer(read(), dtype=np.dtype(_NUMPY[dtype]).newbyteorder(">"))
        return raw.astype(_NUMPY[dtype]).tobytes()
    return swap


def _load_legacy(f: IO[bytes], what: str) -> tuple[Any, list[Storage]]:
    """magic, protocol, sys info, the object, the sorted storage keys, then each storage as an
    8-byte little-endian element count and its raw bytes."""
    none: _StorageFor = lambda key, dtype, numel: _fail(f"{what}: storage reference outside the main pickle")
    magic = _unpickle(f, none, f"{what} (magic number)")
    if magic != LEGACY_MAGIC:
        raise ConversionError(f"{what} is not a PyTorch checkpoint (a pickle, but not torch's magic number)")
    protocol = _unpickle(f, none, f"{what} (protocol version)")
    if protocol != LEGACY_PROTOCOL:
        raise ConversionError(f"{what}: unsupported legacy protocol version {protocol!r}")
    info = _unpickle(f, none, f"{what} (system info)")
    start = f.tell()
    end = f.seek(0, io.SEEK_END)
    little = not isinstance(info, dict) or info.get("little_endian", True)
    storages: dict[str, Storage] = {}
    data: dict[str, bytes] = {}

    def storage_for(key: str, dtype: str, numel: int) -> Storage:
        if key not in storages:
            def read(key: str = key) -> bytes:
                return data[key]
            storages[key] = Storage(dtype, numel, key, read)
        return storages[key]

    f.seek(start)
    obj = _unpickle(f, storage_for, what)
    keys = _unpickle(f, none, f"{what} (storage keys)")
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
        raise ConversionError(f"{what}: the storage key list does not match the storages the object uses")
    for key in map(str, keys):
        s = storages[key]
        head = f.read(8)
        if len(head) < 8:
            raise ConversionError(f"{what} is truncated: the data of storage {key!r} is missing")
        (count,) = struct.unpack("<q", head)
        if count != s.numel:
            raise ConversionError(f"{what}: storage {key!r} has {count} elements on disk, {s.numel} in the pickle")
        nbytes = count * np.dtype(_NUMPY[s.dtype]).itemsize
        if nbytes > end - f.tell():
            raise ConversionError(f"{what} is truncated: storage {key!r} needs {nbytes} bytes, "
                                  f"{end - f.tell()} remain")
        raw = f.read(nbytes)
        if not little:
            raw = np.frombuffer(raw, np.dtype(_NUMPY[s.dtype]).newbyteorder(">")).astype(_NUMPY[s.dtype]).tobytes()
        data[key] = raw
    return obj, list(storages.values())


def _load_file(f: IO[bytes], what: str) -> tuple[Any, list[Storage], str]:
    """(object, storages, format name) of a torch.save file."""
    head = f.read(512)
    f.seek(0)
    if not head:
        raise ConversionError(f"{what} is empty")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return (*_load_zip(f, what), "zip")
    if head[257:262] == b"ustar":
        raise ConversionError(f"{what} is a tar archive (the format of torch < 0.4): not supported")
    if head[:1] == b"\x80":
        return (*_load_legacy(f, what), "legacy")
    raise ConversionError(f"{what} is not a PyTorch checkpoint: neither a zip archive nor a legacy "
                          f"torch.save pickle (starts with {head[:8]!r})")


def load(path: _Path) -> tuple[Any, str]:
    """The object torch.save wrote, with tensors as `Tensor`, and the format name:
    `(obj, "zip" | "legacy")`. Raises ConversionError for anything it cannot load safely."""
    what = os.path.basename(os.fspath(path))
    try:
        with open(path, "rb") as f:
            obj, storages, fmt = _load_file(f, what)
            for s in storages:   # read (and size-check) every storage while the file is open
                s.array()
            return obj, fmt
    except OSError as e:
        raise ConversionError(f"cannot read {path}: {e.strerror or e}") from None


# ---- choosing and converting the tensors ------------------------------------------------------
def _kind(v: object) -> str:
    return "tensor" if isinstance(v, Tensor) else type(v).__name__


def _has_tensors(d: object, deep: bool = False) -> bool:
    return isinstance(d, dict) and any(isinstance(v, Tensor) or (deep and _has_tensors(v, True)) for v in d.values())


_PREFERRED_KEYS = ("state_dict", "model_state_dict", "model", "net", "module")
_NOT_MODEL = ("optim", "sched", "scaler")   # checkpoint entries that hold tensors but not the model's


def select(obj: Any, key: Optional[str] = None) -> tuple[Any, Optional[str]]:
    """The dict of tensors to convert: obj[key] (key may be a/b for nested dicts), or obj itself
    if it holds tensors, or the one entry holding tensors (not counting optimizer, scheduler and
    scaler states; state_dict/model_state_dict/model/net/module first if there are several).
    Returns (dict, chosen key or None)."""
    if isinstance(obj, Tensor):
        return {"tensor": obj}, None
    if key:
        cur = obj
        for part in key.split("/"):
            if not isinstance(cur, dict) or part not in cur:
                have = ", ".join(f"{k} ({_kind(v)})" for k, v in cur.items()) if isinstance(cur, dict) else _kind(cur)
                raise ConversionError(f"no key {part!r} in the checkpoint (it has: {have})")
            cur = cur[part]
        if isinstance(cur, Tensor):
            return {key.split("/")[-1]: cur}, key
        if not isinstance(cur, dict):
            raise ConversionError(f"checkpoint[{key!r}] is a {_kind(cur)}, not a dict of tensors")
        return cur, key
    if not isinstance(obj, dict):
        raise ConversionError(f"the checkpoint holds a {_kind(obj)}, not a dict of tensors")
    if _has_tensors(obj) or not obj:
        return obj, None
    nested = [k for k, v in obj.items() if _has_tensors(v, deep=True)]
    if len(nested) > 1:
        nested = [k for k in nested if not any(w in str(k).lower() for w in _NOT_MODEL)] or nested
    if len(nested) > 1:
        nested = [k for k in _PREFERRED_KEYS if k in nested][:1] or nested
    if len(nested) != 1:
        have = ", ".join(f"{k} ({_kind(v)})" for k, v in obj.items())
        raise ConversionError(f"cannot tell which entry holds the model's tensors (the checkpoint has: {have}); "
                              "choose one with --key")
    return obj[nested[0]], nested[0]


def _flatten(d: Mapping[Any, Any], prefix: str, out: dict[str, Tensor], skipped: list[tuple[str, str]]) -> None:
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, Tensor):
            out[name] = v
        elif isinstance(v, dict) and v:
            _flatten(v, name + ".", out, skipped)
        else:
            skipped.append((name, _kind(v)))


Entry = collections.namedtuple("Entry", "name shape source_dtype dtype")


class Result(collections.namedtuple("Result", "tensors entries skipped key format")):
    """tensors: {name: numpy array} as written; entries: Entry per tensor; skipped: [(name, kind)]
    of non-tensor values; key: the entry converted (None for the top level); format: zip/legacy."""

    def summary(self) -> str:
        values = sum(int(np.prod(e.shape, dtype=np.int64)) for e in self.entries)
        nbytes = sum(a.nbytes for a in self.tensors.values())
        changed = collections.Counter((e.source_dtype, e.dtype) for e in self.entries if e.source_dtype != e.dtype)
        size = f"{nbytes / 1e6:.2f} MB" if nbytes >= 1e5 else f"{nbytes / 1e3:.1f} KB"
        text = (f"converted {len(self.entries)} tensors ({values:,} values, {size}) "
                f"from the {self.format} torch format" + (f", key {self.key!r}" if self.key else ""))
        if changed:
            text += "; " + ", ".join(f"{n} {a} -> {b}" for (a, b), n in sorted(changed.items()))
        if self.skipped:
            shown = ", ".join(f"{n} ({k})" for n, k in self.skipped[:8])
            text += f"; skipped {len(self.skipped)} non-tensor entries: {shown}" + (", ..." if len(self.skipped) > 8 else "")
        return text


def convert_object(obj: Any, fmt: str = "zip", key: Optional[str] = None, strip_prefix: Optional[str] = None,
                   keep_dtypes: bool = False) -> Result:
    """Converts an object from load() into a Result (no file written)."""
    chosen, used = select(obj, key)
    flat: collections.OrderedDict[str, Tensor] = collections.OrderedDict()
    skipped: list[tuple[str, str]] = []
    _flatten(chosen, "", flat, skipped)
    if used:
        top = used.split("/")[0]
        skipped += [(k, _kind(v)) for k, v in obj.items() if k != top]
    tensors: collections.OrderedDict[str, np.ndarray[Any, Any]] = collections.OrderedDict()
    entries: list[Entry] = []
    for name, t in flat.items():
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        if name in tensors:
            raise ConversionError(f"two tensors named {name!r} after stripping {strip_prefix!r}")
        if t.dtype.startswith("complex"):
            raise ConversionError(f"{name}: {t.dtype} tensors cannot be stored in safetensors by numpy")
        try:
            a = t.numpy()
        except (MemoryError, ValueError) as e:
            raise ConversionError(f"{name}: cannot rebuild a tensor of size {list(t.shape)} ({e})") from None
        target = t.dtype if keep_dtypes else _TO_SWIFTNN.get(t.dtype, t.dtype)
        if t.dtype == "bfloat16":
            target = "float32"   # numpy has no bfloat16
        if target == "int64" and t.dtype == "uint64" and a.size and a.max() > np.iinfo(np.int64).max:
            raise ConversionError(f"{name}: uint64 values above the int64 range")
        a = a.astype(target, order="C", copy=False)   # (np.ascontiguousarray would make 0-dim 1-dim)
        tensors[name] = a
        entries.append(Entry(name, tuple(t.shape), t.dtype, target))
    return Result(tensors, entries, skipped, used, fmt)


def convert(src: _Path, dst: Optional[_Path] = None, key: Optional[str] = None, strip_prefix: Optional[str] = None,
            keep_dtypes: bool = False) -> Result:
    """Reads the checkpoint `src`, writes `dst` (if given) with safetensors.numpy.save_file and
    metadata {format: pt, source: <file name>, torch_format: zip|legacy}; returns the Result."""
    obj, fmt = load(src)
    result = convert_object(obj, fmt, key, strip_prefix, keep_dtypes)
    if dst is not None:
        from safetensors.numpy import save_file
        meta = {"format": "pt", "source": os.path.basename(os.fspath(src)), "torch_format": fmt}
        save_file(dict(result.tensors), os.fspath(dst), metadata=meta)
    return result
