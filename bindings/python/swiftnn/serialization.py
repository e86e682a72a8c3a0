"""Named tensors in safetensors files: swiftnn.save(state_dict, path) and swiftnn.load(path),
through the engine's strict reader and atomic writer (snn_tensor_map_*).

A flat {name: tensor} map is written as is (PyTorch's state_dict keys, readable by
safetensors.torch.load_file). Anything else torch.save users save — a checkpoint dict
{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3} — is written as
its tensors under dotted paths ("optimizer.state.0.exp_avg") plus the tree's other values as
JSON in the metadata entry "swiftnn.tree"; load() rebuilds the same structure (dict keys of
int, str, float or bool type, tuples, lists, numbers, strings, None). Never pickle: loading a
file cannot run code."""
from __future__ import annotations

import ctypes
import json
import numbers
import os
from typing import Any, Mapping, Optional, Union

from ._typing import FileLike

from ._handles import Handle, new_handle, read_string
from ._lib import check, lib
from .tensor import Tensor, _new


class TensorMap:
    """An ordered name -> Tensor map with metadata strings (a C snn_tensor_map)."""

    def __init__(self, handle: Optional[Handle] = None) -> None:
        self._handle = handle or new_handle(lib.snn_tensor_map_new, lib.snn_tensor_map_free)

    @property
    def _h(self) -> Optional[int]:
        return self._handle.value

    @classmethod
    def from_dict(cls, tensors: Mapping[str, Any], metadata: Optional[Mapping[str, Any]] = None) -> TensorMap:
        m = cls()
        for name, t in tensors.items():
            if not isinstance(t, Tensor):
                from .tensor import tensor as _tensor
                t = _tensor(t)
            check(lib.snn_tensor_map_set(m._h, name.encode(), t._h))
        for k, v in (metadata or {}).items():
            check(lib.snn_tensor_map_set_metadata(m._h, str(k).encode(), str(v).encode()))
        return m

    def __len__(self) -> int:
        n = ctypes.c_size_t()
        check(lib.snn_tensor_map_count(ctypes.byref(n), self._h))
        return n.value

    def keys(self) -> list[str]:
        return [read_string(lib.snn_tensor_map_name, self._h, i) for i in range(len(self))]

    def __getitem__(self, name: str) -> Tensor:
        return _new(lib.snn_tensor_map_get, self._h, name.encode())

    def items(self) -> list[tuple[str, Tensor]]:
        return [(k, self[k]) for k in self.keys()]

    def to_dict(self) -> dict[str, Tensor]:
        return dict(self.items())

    def metadata(self, key: str) -> Optional[str]:
        try:
            return read_string(lib.snn_tensor_map_get_metadata, self._h, key.encode())
        except IndexError:
            return None

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        check(lib.snn_tensor_map_save(self._h, os.fsencode(path)))

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]], mmap: bool = False) -> TensorMap:
        if not mmap:
            return cls(new_handle(lib.snn_tensor_map_load, lib.snn_tensor_map_free, os.fsencode(path)))
        from ._ffi import snn_load_options
        from ._options import options
        opts = options(snn_load_options, mmap=True)
        return cls(new_handle(lib.snn_tensor_map_load_ex, lib.snn_tensor_map_free, os.fsencode(path), ctypes.byref(opts)))

    @classmethod
    def load_buffer(cls, data: Any) -> TensorMap:
        """From the bytes of a safetensors file (bytes, bytearray, memoryview: copied)."""
        buf = _buffer(data)
        return cls(new_handle(lib.snn_tensor_map_load_buffer, lib.snn_tensor_map_free, buf, len(buf)))


def _buffer(data: Any) -> Any:
    """`data` as a ctypes char array the library may read (one copy for immutable bytes)."""
    view = memoryview(data).cast("B")
    return (ctypes.c_char * len(view)).from_buffer_copy(view) if view.readonly else \
        (ctypes.c_char * len(view)).from_buffer(view)


def _source(f: FileLike, mmap: bool, fn: str) -> TensorMap:
    """A TensorMap from a path or a binary file-like object (io.BytesIO, an open file): what
    torch.load accepts."""
    if hasattr(f, "read"):
        if mmap:
            raise ValueError(f"swiftnn.{fn}: mmap=True needs a file path, not a file-like object")
        return TensorMap.load_buffer(f.read())
    return TensorMap.load(f, mmap=mmap)


TREE_KEY = "swiftnn.tree"


def _is_flat(obj: object) -> bool:
    return isinstance(obj, dict) and all(isinstance(k, str) and _is_tensor_like(v) for k, v in obj.items())


def _is_tensor_like(v: object) -> bool:
    import numpy as np
    return isinstance(v, (Tensor, np.ndarray))


def _encode_tree(obj: Any, path: str, tensors: dict[str, Any]) -> Any:
    """obj as JSON, its tensors moved to `tensors` under dotted paths."""
    if _is_tensor_like(obj):
        name = path or "tensor"
        if name in tensors:
            raise ValueError(f"swiftnn.save: two tensors would be stored under the name {name!r}")
        tensors[name] = obj
        return {"__tensor__": name}
    if isinstance(obj, dict):
        items: list[list[Any]] = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"swiftnn.save: dict key {k!r} of type {type(k).__name__} cannot be saved "
                                "(keys must be str, int, float, bool or None)")
            items.append([k, _encode_tree(v, f"{path}.{k}" if path else str(k), tensors)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        encoded = [_encode_tree(v, f"{path}.{i}" if path else str(i), tensors) for i, v in enumerate(obj)]
        return {"__tuple__": encoded} if isinstance(obj, tuple) else encoded
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        v = float(obj)
        return v if v == v and abs(v) != float("inf") else {"__float__": repr(v)}
    raise TypeError(f"swiftnn.save: cannot save a {type(obj).__name__} (at {path or 'the top level'}); "
                    "checkpoints hold tensors, dicts, lists, tuples, numbers, strings and None")


def _decode_tree(obj: Any, tensors: Mapping[str, Tensor]) -> Any:
    if isinstance(obj, list):
        return [_decode_tree(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__dict__" in obj:
            return {k: _decode_tree(v, tensors) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_decode_tree(v, tensors) for v in obj["__tuple__"])
        if "__float__" in obj:
            return float(obj["__float__"])
        raise ValueError(f"swiftnn.load: unknown entry {sorted(obj)} in the saved structure")
    return obj


def save(obj: Any, path: Union[str, os.PathLike[str]], metadata: Optional[dict[str, str]] = None) -> None:
    """Writes a state_dict ({name: Tensor or array}), or a checkpoint of nested dicts, lists
    and tuples holding tensors and plain values, to a safetensors file (atomically)."""
    if _is_flat(obj):
        TensorMap.from_dict(dict(obj), metadata).save(path)
        return
    tensors: dict[str, Any] = {}
    tree = _encode_tree(obj, "", tensors)
    meta = dict(metadata or {})
    if TREE_KEY in meta:
        raise ValueError(f"swiftnn.save: metadata key {TREE_KEY!r} is reserved")
    meta[TREE_KEY] = json.dumps(tree, separators=(",", ":"))
    TensorMap.from_dict(tensors, meta).save(path)


def load(f: FileLike, mmap: bool = False) -> Any:
    """Reads a safetensors file: {name: Tensor} for a state_dict, or the nested structure
    save() wrote (a checkpoint with optimizer state, epoch, ...). `f` is a path or a binary
    file-like object (io.BytesIO), as torch.load's. mmap=True (torch.load's argument) maps the
    file instead of reading it: the tensors use the file's pages, shared with other processes
    that map it; writing to one copies the page written, never the file (swiftnn/serving.h)."""
    m = _source(f, mmap, "load")
    path = f if not hasattr(f, "read") else getattr(f, "name", "<buffer>")
    tensors = m.to_dict()
    tree = m.metadata(TREE_KEY)
    if tree is None:
        return tensors
    try:
        return _decode_tree(json.loads(tree), tensors)
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"swiftnn.load: '{path}' has a corrupt {TREE_KEY} entry: {e}") from None


def load_metadata(path: Union[str, os.PathLike[str]]) -> TensorMap:
    m = TensorMap.load(path)
    return m
