"""Sequential (and ModuleList). A Sequential of built-in layers is also an engine Sequential,
so its forward is one C call and it can be saved as a self-describing checkpoint."""
import ctypes
import os

from .._handles import Handle, new_handle, read_string
from .._lib import check, lib, shape_array
from ..tensor import _new
from .modules import EngineModule, Module


class Sequential(Module):
    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for n, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: {type(m).__name__} is not a Module")
            self._modules[n] = m
        self._rebuild_engine()

    def _rebuild_engine(self):
        mods = list(self._modules.values())
        if mods and all(isinstance(m, EngineModule) or (isinstance(m, Sequential) and m._engine) for m in mods):
            names = (ctypes.c_char_p * len(mods))(*[n.encode() for n in self._modules])
            hs = (ctypes.c_void_p * len(mods))(*[m._mh for m in mods])
            object.__setattr__(self, "_engine", new_handle(lib.snn_module_sequential, lib.snn_module_free, hs, len(mods), names))
        else:
            object.__setattr__(self, "_engine", None)

    @property
    def _mh(self):
        return self._engine.value

    # deepcopy and pickle copy the children; the engine Sequential is rebuilt over the copies.
    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_engine"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._rebuild_engine()

    def append(self, module):
        self._modules[str(len(self._modules))] = module
        self._rebuild_engine()
        return self

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(*list(self._modules.values())[i])
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, input):
        if self._engine is not None:
            return _new(lib.snn_module_forward, self._mh, input._h)
        for m in self._modules.values():
            input = m(input)
        return input

    def _set_engine_training(self, mode):
        if self._engine is not None:
            check(lib.snn_module_train(self._mh, bool(mode)))

    def summary(self, input_size):
        """Each layer's output shape and parameter count, ending with "Total params: N"."""
        if self._engine is None:
            raise TypeError("summary() needs a Sequential of built-in layers")
        shp, nd = shape_array(input_size)
        return read_string(lib.snn_module_summary, self._mh, shp, nd)


class ModuleList(Module):
    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, m):
        self._modules[str(len(self._modules))] = m
        return self

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


def _engine_handle(model):
    h = getattr(model, "_engine", None)
    if h is None or h.value is None:
        raise TypeError(f"save_model: {type(model).__name__} is not built from engine layers; "
                        "save its weights with swiftnn.save(model.state_dict(), path) instead")
    return h.value


def save_model(model, path):
    """Saves weights and architecture (safetensors, PyTorch names) so load_model rebuilds it."""
    check(lib.snn_module_save(_engine_handle(model), os.fsencode(path)))


def load_model(f, mmap=False):
    """Rebuilds a model saved by save_model (or by the C API's snn_module_save) from a path or
    a binary file-like object (io.BytesIO). mmap=True maps the file: the parameters use its
    pages, shared between processes (swiftnn/serving.h)."""
    h = ctypes.c_void_p()
    if hasattr(f, "read"):
        if mmap:
            raise ValueError("swiftnn.nn.load_model: mmap=True needs a file path, not a file-like object")
        from ..serialization import _buffer
        buf = _buffer(f.read())
        check(lib.snn_module_load_buffer(ctypes.byref(h), buf, len(buf)))
    elif mmap:
        from .._ffi import snn_load_options
        from .._options import options
        opts = options(snn_load_options, mmap=True)
        check(lib.snn_module_load_ex(ctypes.byref(h), os.fsencode(f), ctypes.byref(opts)))
    else:
        check(lib.snn_module_load(ctypes.byref(h), os.fsencode(f)))
    return wrap_engine_module(h.value)


def wrap_engine_module(handle):
    """A Python object for an engine module handle (takes ownership)."""
    owner = Handle(handle, lib.snn_module_free)
    kind = read_string(lib.snn_module_type, handle)
    if kind == "Sequential":
        arch = read_string(lib.snn_module_architecture, handle)
        import json
        names = [c["name"] for c in json.loads(arch).get("children", [])]
        kids = {}
        for n in names:
            c = ctypes.c_void_p()
            check(lib.snn_module_child(ctypes.byref(c), handle, n.encode()))
            kids[n] = wrap_engine_module(c.value)
        seq = Sequential.__new__(Sequential)
        Module.__init__(seq)
        for n, m in kids.items():
            seq._modules[n] = m
        object.__setattr__(seq, "_engine", owner)
        return seq
    cls = EngineModule._ENGINE_TYPES.get(kind)
    if cls is None:
        raise TypeError(f"load_model: no Python class for engine module type '{kind}'")
    m = cls.__new__(cls)
    m._bind(owner._h)
    owner._h = None  # ownership moved into m
    return m
