"""copy.copy, copy.deepcopy and pickle for objects that hold engine handles. A handle is freed
once by the one Python object that owns it, so nothing here ever duplicates a handle value:
a shallow copy takes a second handle to the same engine object (snn_<kind>_ref), a deep copy
makes a new engine object, and pickling stores values (dtype, shape, bytes; a module's
architecture and state dict), as PyTorch does."""
from __future__ import annotations

import copy
import ctypes
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Protocol, TypeVar, cast

import numpy as np

from ._handles import Handle, read_string
from ._lib import check, lib
from .tensor import _DTYPES, Tensor, _wrap_new

if TYPE_CHECKING:
    from .nn.modules import EngineModule, Module
    from .optim.optimizer import Optimizer

_DTYPE_BY_NAME = {d.name: d for d in _DTYPES.values()}
_T = TypeVar("_T", bound=Tensor)
_M = TypeVar("_M", bound="EngineModule")
_O = TypeVar("_O", bound="Optimizer")
_H = TypeVar("_H", bound="_HasHandle")
_Memo = dict[int, Any]  # copy.deepcopy's memo


class _HasHandle(Protocol):
    """An object keeping its raw engine handle in _h (optimizers, schedulers, loaders)."""
    _h: Optional[int]


def _ref(fn: Callable[..., int], h: Optional[int]) -> Optional[int]:
    out = ctypes.c_void_p()
    check(fn(ctypes.byref(out), h))
    return out.value


# ---- tensors ---------------------------------------------------------------------------------

def copy_tensor(t: _T) -> _T:
    """copy.copy(t): a second Python object for the same engine tensor (values, grad and
    requires_grad shared), each freeing its own handle."""
    new = _wrap_new(_ref(lib.snn_tensor_ref, t._h))
    new.__class__ = type(t)
    return cast(_T, new)  # of t's class, by the assignment above


def deepcopy_tensor(t: _T, memo: _Memo) -> _T:
    """copy.deepcopy(t), as torch: leaves only; a new tensor with a copy of the data, the same
    requires_grad and class (a Parameter stays one), and a deep copy of .grad."""
    if not t.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                           "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                           "because of a torch.nn.utils.weight_norm usage, see "
                           "https://github.com/pytorch/pytorch/pull/103001")
    out = ctypes.c_void_p()
    source = t.detach()  # clone records CloneBackward; the copy is a new leaf
    check(lib.snn_tensor_clone(ctypes.byref(out), source._h))
    new = _wrap_new(out.value)
    new.__class__ = type(t)
    memo[id(t)] = new
    if t.requires_grad:
        new.requires_grad_(True)
    g = t.grad
    if g is not None:
        new.grad = copy.deepcopy(g, memo)
    return cast(_T, new)  # of t's class, by the assignment above


def reduce_tensor(t: Tensor) -> tuple[Callable[..., Tensor], tuple[Any, ...]]:
    """pickle: the values (dtype, shape, bytes) and requires_grad; not .grad nor the graph
    (a non-leaf arrives as a leaf), as torch."""
    data = t.numpy(force=True).tobytes()
    return _rebuild_tensor, (type(t), t.dtype.name, tuple(t.shape), data, t.requires_grad)


def _rebuild_tensor(cls: type[_T], dtype_name: str, shape: tuple[int, ...], data: bytes, requires_grad: bool) -> _T:
    from .zerocopy import from_numpy
    d = _DTYPE_BY_NAME.get(dtype_name)
    if d is None:
        raise TypeError(f"swiftnn: cannot unpickle a tensor of dtype {dtype_name!r}")
    t = from_numpy(np.frombuffer(data, dtype=d.np).reshape(shape).copy())
    t.__class__ = cls
    if requires_grad:
        t.requires_grad_(True)
    return cast(_T, t)  # of class cls, by the assignment above


# ---- engine modules --------------------------------------------------------------------------

# The attributes _bind recreates; everything else in an engine module's __dict__ is copied.
_MIRRORED = frozenset({"_engine", "_parameters", "_buffers", "_modules", "_cfg", "training"})


def _state_map(m: EngineModule) -> Handle:
    out = ctypes.c_void_p()
    check(lib.snn_module_state_dict(ctypes.byref(out), m._mh))
    return Handle(out.value, lib.snn_tensor_map_free)


def _rebuild(cls: type[_M], arch: str, state_map: Handle, requires_grad: Mapping[str, bool], training: bool,
             extras: Mapping[str, Any]) -> _M:
    out = ctypes.c_void_p()
    check(lib.snn_module_from_architecture(ctypes.byref(out), arch.encode("utf-8"), state_map.value))
    m = cls.__new__(cls)
    m._bind(cast(int, out.value))  # written by the successful call
    for name, flag in requires_grad.items():
        p = m._parameters.get(name)
        if p is not None and not flag:
            p.requires_grad_(False)
    for k, v in extras.items():
        object.__setattr__(m, k, v)
    m.train(training)
    return m


def deepcopy_engine_module(m: _M, memo: _Memo) -> _M:
    """copy.deepcopy of a built-in layer or model: a new engine module with copies of every
    parameter and buffer (snn_module_from_architecture), the same requires_grad flags, mode,
    gradients and Python attributes. The memo maps the old parameters to the new ones, so
    tied references elsewhere in the copied object graph stay tied."""
    arch = read_string(lib.snn_module_architecture, m._mh)
    flags = {n: p.requires_grad for n, p in m._parameters.items() if p is not None}
    extras = {k: copy.deepcopy(v, memo) for k, v in m.__dict__.items() if k not in _MIRRORED}
    new = _rebuild(type(m), arch, _state_map(m), flags, m.training, extras)
    memo[id(m)] = new
    for table in ("_parameters", "_buffers"):
        old_t, new_t = getattr(m, table), getattr(new, table)
        for name, t in old_t.items():
            if t is None or name not in new_t:
                continue
            new_tensor = new_t[name]
            memo[id(t)] = new_tensor
            if table == "_parameters" and t.grad is not None and new_tensor is not None:
                new_tensor.grad = copy.deepcopy(t.grad, memo)
    return new


def reduce_engine_module(m: EngineModule) -> tuple[Callable[..., EngineModule], tuple[Any, ...]]:
    """pickle of a built-in layer or model: its architecture JSON and state dict (tensors by
    value), requires_grad flags, mode and Python attributes."""
    from .serialization import TensorMap
    arch = read_string(lib.snn_module_architecture, m._mh)
    state = OrderedDict(TensorMap(_state_map(m)).items())
    flags = {n: p.requires_grad for n, p in m._parameters.items() if p is not None}
    extras = {k: v for k, v in m.__dict__.items() if k not in _MIRRORED}
    return _unpickle_engine_module, (type(m), arch, state, flags, m.training, extras)


def _unpickle_engine_module(cls: type[_M], arch: str, state: Mapping[str, Tensor], flags: Mapping[str, bool],
                            training: bool, extras: Mapping[str, Any]) -> _M:
    from .serialization import TensorMap
    return _rebuild(cls, arch, TensorMap.from_dict(state)._handle, flags, training, extras)


def deepcopy_module(m: Module, memo: _Memo) -> Module:
    """copy.deepcopy of a Python Module: the default protocol, except that every built-in
    layer in the tree is copied first, so that a parameter it owns that is also referenced
    elsewhere (tied weights) maps to the new layer's parameter, as in PyTorch."""
    from .nn.modules import EngineModule
    for sub in m.modules():
        if isinstance(sub, EngineModule) and id(sub) not in memo:
            copy.deepcopy(sub, memo)
    cls = type(m)
    new = cls.__new__(cls)
    memo[id(m)] = new
    getstate = getattr(cls, "__getstate__", None)
    state = copy.deepcopy(getstate(m) if getstate else m.__dict__, memo)
    setstate = getattr(cls, "__setstate__", None)
    if setstate:
        setstate(new, state)
    else:
        new.__dict__.update(state)
    return new


# ---- optimizers ------------------------------------------------------------------------------

def _optimizer_parts(opt: Optimizer, param: Callable[[Tensor], Tensor]
                     ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The constructor arguments (groups with every option, `param(p)` for each parameter),
    and the state (state_dict(): copies) that rebuild `opt`."""
    import inspect
    groups: list[dict[str, Any]] = []
    for g in opt.param_groups:
        d = {k: g[k] for k in g if k != "params"}  # "lr" read from the engine
        d["params"] = [param(p) for p in g["params"]]
        groups.append(d)
    accepted = inspect.signature(type(opt).__init__).parameters
    kwargs = {k: v for k, v in opt.defaults.items() if k in accepted and k != "params"}
    return groups, kwargs, opt.state_dict()


def _rebuild_optimizer(cls: type[_O], groups: list[dict[str, Any]], kwargs: dict[str, Any],
                       state: dict[str, Any]) -> _O:
    new = cls(groups, **kwargs)
    new.load_state_dict(state)
    return new


def deepcopy_optimizer(opt: _O, memo: _Memo) -> _O:
    """copy.deepcopy(optimizer), as torch: a new optimizer over deep copies of the parameters
    (through the memo, so copying a model first and then its optimizer, e.g. in one dict,
    gives an optimizer of the copied model) with a copy of the state and learning rates."""
    groups, kwargs, state = _optimizer_parts(opt, lambda p: copy.deepcopy(p, memo))
    new = _rebuild_optimizer(type(opt), groups, kwargs, state)
    memo[id(opt)] = new
    return new


def reduce_optimizer(opt: Optimizer) -> tuple[Callable[..., Optimizer], tuple[Any, ...]]:
    """pickle of an optimizer: its parameters (by value), options and state_dict()."""
    groups, kwargs, state = _optimizer_parts(opt, lambda p: p)
    return _rebuild_optimizer, (type(opt), groups, kwargs, state)


# ---- objects whose state cannot be copied -----------------------------------------------------

def refuse(obj: object, what: str, why: str) -> TypeError:
    """The TypeError for deepcopy/pickle of an object whose engine state cannot be read."""
    return TypeError(f"swiftnn: {type(obj).__name__} cannot be {what}: {why}")


def shallow_copy_with_ref(obj: _H, ref_fn: Callable[..., int]) -> _H:
    """copy.copy of an object holding its raw handle in `_h`: the copy shares the Python
    attributes and holds its own second handle to the same engine object."""
    new = obj.__class__.__new__(obj.__class__)
    new.__dict__.update(obj.__dict__)
    new._h = _ref(ref_fn, obj._h)
    return new
