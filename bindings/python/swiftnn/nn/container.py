"""Sequential (and ModuleList). A Sequential of built-in layers is also an engine Sequential,
so its forward is one C call and it can be saved as a self-describing checkpoint."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Iterable, Iterator, Union, cast, overload

from .._handles import Handle, new_handle, read_string
from .._lib import check, lib, shape_array
from .._typing import FileLike
from ..tensor import _new
from .modules import EngineModule, Module


# Engine Sequentials built so far: a Sequential compares it with its own build's number to
# notice that some Sequential (perhaps one inside it) was rebuilt since.
_builds = [0]


class Sequential(Module):
    """Modules called in order, each on the previous one's output (torch.nn.Sequential); made
    of built-in layers only, it is also one engine module (one C call per forward, savable by
    save_model).

    Args:
        *modules: the modules in order, or one OrderedDict {name: module}.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(swiftnn.randn(3, 4)).shape
        swiftnn.Size([3, 2])
    """

    def __init__(self, *modules: Any) -> None:
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

    def _rebuild_engine(self) -> None:
        mods = list(self._modules.values())
        if mods and all(isinstance(m, EngineModule) or (isinstance(m, Sequential) and m._engine) for m in mods):
            names = (ctypes.c_char_p * len(mods))(*[n.encode() for n in self._modules])
            hs = (ctypes.c_void_p * len(mods))(*[m._mh for m in mods if m is not None])  # none is, here
            object.__setattr__(self, "_engine", new_handle(lib.snn_module_sequential, lib.snn_module_free, hs, len(mods), names))
            object.__setattr__(self, "_engine_children", tuple(hs))
            # a new engine Sequential starts in training mode: every layer back to its own mode
            for m in self.modules():
                m._set_engine_training(m.training)
        else:
            object.__setattr__(self, "_engine", None)
        _builds[0] += 1
        object.__setattr__(self, "_engine_build", _builds[0])

    def _refresh_engine(self) -> None:
        """Some Sequential was rebuilt since this one: if it is inside this one, the engine
        still holds its old layers, so rebuild (children first); else note that all is current."""
        mods = list(self._modules.values())
        for m in mods:
            if isinstance(m, Sequential) and m._engine_build != _builds[0]:
                m._refresh_engine()
        current = all(isinstance(m, EngineModule) or (isinstance(m, Sequential) and m._engine) for m in mods)
        if not current or tuple(cast(Any, m)._mh for m in mods) != self._engine_children:
            self._rebuild_engine()
        else:
            object.__setattr__(self, "_engine_build", _builds[0])

    # Replacing or removing a layer (seq[1] = ..., seq.fc = ..., del seq[0]) rebuilds the engine
    # Sequential, which would otherwise go on running the old layers.
    def __setattr__(self, name: str, value: Any) -> None:
        replaced = name in self._modules
        super().__setattr__(name, value)
        if replaced or isinstance(value, Module):
            self._rebuild_engine()

    def __delattr__(self, name: str) -> None:
        replaced = name in self._modules
        super().__delattr__(name)
        if replaced:
            self._rebuild_engine()

    def __setitem__(self, i: int, module: Module) -> None:
        """seq[i] = module: replaces the i-th layer (negative i counts from the end)."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: {type(module).__name__} is not a Module")
        keys = list(self._modules)
        if not -len(keys) <= i < len(keys):
            raise IndexError(f"Sequential: index {i} is out of range for {len(keys)} layers")
        self._modules[keys[i]] = module
        self._rebuild_engine()

    def __delitem__(self, i: Union[int, slice]) -> None:
        """del seq[i] (or a slice): removes layers; the rest are renumbered 0, 1, ... as PyTorch does."""
        keys = list(self._modules)
        if isinstance(i, int) and not -len(keys) <= i < len(keys):
            raise IndexError(f"Sequential: index {i} is out of range for {len(keys)} layers")
        for k in (keys[i] if isinstance(i, slice) else [keys[i]]):
            del self._modules[k]
        mods = list(self._modules.values())
        self._modules.clear()
        for n, m in enumerate(mods):
            self._modules[str(n)] = m
        self._rebuild_engine()

    @property
    def _mh(self) -> int:
        h: int = self._engine.value
        return h

    # deepcopy and pickle copy the children; the engine Sequential is rebuilt over the copies.
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_engine"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._rebuild_engine()

    def append(self, module: Module) -> Sequential:
        """Adds `module` at the end; returns self."""
        self._modules[str(len(self._modules))] = module
        self._rebuild_engine()
        return self

    @overload
    def __getitem__(self, i: slice) -> Sequential: ...
    @overload
    def __getitem__(self, i: int) -> Module: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[Module, Sequential]:
        if isinstance(i, slice):
            return Sequential(*list(self._modules.values())[i])
        return list(self._modules.values())[i]  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())  # type: ignore[arg-type]

    def forward(self, input: Any) -> Any:
        """Each module in turn on the previous one's output."""
        if self._engine is not None and self._engine_build != _builds[0]:
            self._refresh_engine()
        if self._engine is not None and not self._hooked_inside():
            return _new(lib.snn_module_forward, self._mh, input._h)
        for m in self._modules.values():
            input = cast(Module, m)(input)  # a None placeholder is not callable, as in torch
        return input

    def _hooked_inside(self) -> bool:
        """Whether a layer inside has a hook: then the layers run one by one from Python, so
        each layer's hooks see its own call (the engine's one call would skip them)."""
        from . import hooks
        if not hooks.registered:
            return False
        return any(hooks.has_hooks(m) for m in self.modules() if m is not self)

    def _set_engine_training(self, mode: bool) -> None:
        if self._engine is not None:
            check(lib.snn_module_train(self._mh, bool(mode)))

    def summary(self, input_size: Iterable[int]) -> str:
        """Each layer's output shape and parameter count, ending with "Total params: N"."""
        if self._engine is None:
            raise TypeError("summary() needs a Sequential of built-in layers")
        shp, nd = shape_array(input_size)
        return read_string(lib.snn_module_summary, self._mh, shp, nd)


class ModuleList(Module):
    """Submodules in a list, registered so that parameters() and state_dict() see them
    (torch.nn.ModuleList); it has no forward of its own.

    Args:
        modules: an iterable of modules to add (default empty).

    Example:
        >>> layers = nn.ModuleList([nn.Linear(10, 10) for _ in range(3)])
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, m: Module) -> ModuleList:
        """Adds `m` at the end; returns self."""
        self._modules[str(len(self._modules))] = m
        return self

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())  # type: ignore[arg-type]


def _engine_handle(model: Module) -> int:
    h = getattr(model, "_engine", None)
    if h is None or h.value is None:
        raise TypeError(f"save_model: {type(model).__name__} is not built from engine layers; "
                        "save its weights with swiftnn.save(model.state_dict(), path) instead")
    value: int = h.value
    return value


def save_model(model: Module, path: Union[str, os.PathLike[str]]) -> None:
    """Saves weights and architecture (safetensors, PyTorch names) so load_model rebuilds it."""
    check(lib.snn_module_save(_engine_handle(model), os.fsencode(path)))


def load_model(f: FileLike, mmap: bool = False) -> Module:
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
    return wrap_engine_module(cast(int, h.value))  # set whenever the call succeeds


def wrap_engine_module(handle: int) -> Module:
    """A Python object for an engine module handle (takes ownership)."""
    owner = Handle(handle, lib.snn_module_free)
    kind = read_string(lib.snn_module_type, handle)
    if kind == "Sequential":
        arch = read_string(lib.snn_module_architecture, handle)
        import json
        names = [c["name"] for c in json.loads(arch).get("children", [])]
        kids: dict[str, Module] = {}
        for n in names:
            c = ctypes.c_void_p()
            check(lib.snn_module_child(ctypes.byref(c), handle, n.encode()))
            kids[n] = wrap_engine_module(cast(int, c.value))
        seq = Sequential.__new__(Sequential)
        Module.__init__(seq)
        for n, m in kids.items():
            seq._modules[n] = m
        object.__setattr__(seq, "_engine", owner)
        object.__setattr__(seq, "_engine_children", tuple(cast(Any, m)._mh for m in kids.values()))
        object.__setattr__(seq, "_engine_build", _builds[0])
        return seq
    cls = EngineModule._ENGINE_TYPES.get(kind)
    if cls is None:
        raise TypeError(f"load_model: no Python class for engine module type '{kind}'")
    m = cls.__new__(cls)
    m._bind(cast(int, owner._h))
    owner._h = None  # ownership moved into m
    return m
