"""Named tensors in safetensors files: swiftnn.save(state_dict, path) and swiftnn.load(path),
through the engine's strict reader and atomic writer (snn_tensor_map_*)."""
import ctypes
import os

from ._handles import Handle, new_handle, read_string
from ._lib import check, lib
from .tensor import Tensor, _new


class TensorMap:
    """An ordered name -> Tensor map with metadata strings (a C snn_tensor_map)."""

    def __init__(self, handle=None):
        self._handle = handle or new_handle(lib.snn_tensor_map_new, lib.snn_tensor_map_free)

    @property
    def _h(self):
        return self._handle.value

    @classmethod
    def from_dict(cls, tensors, metadata=None):
        m = cls()
        for name, t in tensors.items():
            if not isinstance(t, Tensor):
                from .tensor import tensor as _tensor
                t = _tensor(t)
            check(lib.snn_tensor_map_set(m._h, name.encode(), t._h))
        for k, v in (metadata or {}).items():
            check(lib.snn_tensor_map_set_metadata(m._h, str(k).encode(), str(v).encode()))
        return m

    def __len__(self):
        n = ctypes.c_size_t()
        check(lib.snn_tensor_map_count(ctypes.byref(n), self._h))
        return n.value

    def keys(self):
        return [read_string(lib.snn_tensor_map_name, self._h, i) for i in range(len(self))]

    def __getitem__(self, name):
        return _new(lib.snn_tensor_map_get, self._h, name.encode())

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def to_dict(self):
        return dict(self.items())

    def metadata(self, key):
        try:
            return read_string(lib.snn_tensor_map_get_metadata, self._h, key.encode())
        except IndexError:
            return None

    def save(self, path):
        check(lib.snn_tensor_map_save(self._h, os.fsencode(path)))

    @classmethod
    def load(cls, path):
        return cls(new_handle(lib.snn_tensor_map_load, lib.snn_tensor_map_free, os.fsencode(path)))


def save(state_dict, path, metadata=None):
    """Writes {name: Tensor or array} to a safetensors file (atomically)."""
    TensorMap.from_dict(dict(state_dict), metadata).save(path)


def load(path):
    """Reads a safetensors file into {name: Tensor} (F32 and I64 tensors)."""
    return TensorMap.load(path).to_dict()


def load_metadata(path):
    m = TensorMap.load(path)
    return m
