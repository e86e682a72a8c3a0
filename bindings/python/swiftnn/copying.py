"""copy.copy, copy.deepcopy and pickle for objects that hold engine handles. A handle is freed
once by the one Python object that owns it, so nothing here ever duplicates a handle value:
a shallow copy takes a second handle to the same engine object (snn_<kind>_ref), a deep copy
makes a new engine object, and pickling stores values (dtype, shape, bytes; a module's
architecture and state dict), as PyTorch does."""
import copy
import ctypes
from collections import OrderedDict

import numpy as np

from ._handles import Handle, read_string
from ._lib import check, lib
from .tensor import _DTYPES, Tensor

_DTYPE_BY_NAME = {d.name: d for d in _DTYPES.values()}


def _ref(fn, h):
    out = ctypes.c_void_p()
    check(fn(ctypes.byref(out), h))
    return out.value


# ---- tensors ---------------------------------------------------------------------------------

def copy_tensor(t):
    """copy.copy(t): a second Python object for the same engine tensor (values, grad and
    requires_grad shared), each freeing its own handle."""
    new = Tensor._wrap(_ref(lib.snn_tensor_ref, t._h))
    new.__class__ = type(t)
    return new


def deepcopy_tensor(t, memo):
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
    new = Tensor._wrap(out.value)
    new.__class__ = type(t)
    memo[id(t)] = new
    if t.requires_grad:
        new.requires_grad_(True)
    g = t.grad
    if g is not None:
        new.grad = copy.deepcopy(g, memo)
    return new


def reduce_tensor(t):
    """pickle: the values (dtype, shape, bytes) and requires_grad; not .grad nor the graph
    (a non-leaf arrives as a leaf), as torch."""
    data = t.numpy(force=True).tobytes()
    return _rebuild_tensor, (type(t), t.dtype.name, tuple(t.shape), data, t.requires_grad)


def _rebuild_tensor(cls, dtype_name, shape, data, requires_grad):
    from .zerocopy import from_numpy
    d = _DTYPE_BY_NAME.get(dtype_name)
    if d is None:
        raise TypeError(f"swiftnn: cannot unpickle a tensor of dtype {dtype_name!r}")
    t = from_numpy(np.frombuffer(data, dtype=d.np).reshape(shape).copy())
    t.__class__ = cls
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- engine modules --------------------------------------------------------------------------

# The attributes _bind recreates; everything else in an engine module's __dict__ is copied.
_MIRRORED = frozenset({"_engine", "_parameters", "_buffers", "_modules", "_cfg", "training"})


def _state_map(m):
    out = ctypes.c_void_p()
    check(lib.snn_module_state_dict(ctypes.byref(out), m._mh))
    return Handle(out.value, lib.snn_tensor_map_free)


def _rebuild(cls, arch, state_map, requires_grad, training, extras):
    out = ctypes.c_void_p()
    check(lib.snn_module_from_architecture(ctypes.byref(out), arch.encode("utf-8"), state_map.value))
    m = cls.__new__(cls)
    m._bind(out.value)
    for name, flag in requires_grad.items():
        p = m._parameters.get(name)
        if p is not None and not flag:
            p.requires_grad_(False)
    for k, v in extras.items():
        object.__setattr__(m, k, v)
    m.train(training)
    return m


def deepcopy_engine_module(m, memo):
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
            memo[id(t)] = new_t[name]
            if table == "_parameters" and t.grad is not None:
                new_t[name].grad = copy.deepcopy(t.grad, memo)
    return new


def reduce_engine_module(m):
    """pickle of a built-in layer or model: its architecture JSON and state dict (tensors by
    value), requires_grad flags, mode and Python attributes."""
    from .serialization import TensorMap
    arch = read_string(lib.snn_module_architecture, m._mh)
    state = OrderedDict(TensorMap(_state_map(m)).items())
    flags = {n: p.requires_grad for n, p in m._parameters.items() if p is not None}
    extras = {k: v for k, v in m.__dict__.items() if k not in _MIRRORED}
    return _unpickle_engine_module, (type(m), arch, state, flags, m.training, extras)


def _unpickle_engine_module(cls, arch, state, flags, training, extras):
    from .serialization import TensorMap
    return _rebuild(cls, arch, TensorMap.from_dict(state)._handle, flags, training, extras)


def deepcopy_module(m, memo):
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

def _optimizer_parts(opt, param):
    """The constructor arguments (groups with every option, `param(p)` for each parameter),
    and the state (state_dict(): copies) that rebuild `opt`."""
    import inspect
    groups = []
    for g in opt.param_groups:
        d = {k: g[k] for k in g if k != "params"}  # "lr" read from the engine
        d["params"] = [param(p) for p in g["params"]]
        groups.append(d)
    accepted = inspect.signature(type(opt).__init__).parameters
    kwargs = {k: v for k, v in opt.defaults.items() if k in accepted and k != "params"}
    return groups, kwargs, opt.state_dict()


def _rebuild_optimizer(cls, groups, kwargs, state):
    new = cls(groups, **kwargs)
    new.load_state_dict(state)
    return new


def deepcopy_optimizer(opt, memo):
    """copy.deepcopy(optimizer), as torch: a new optimizer over deep copies of the parameters
    (through the memo, so copying a model first and then its optimizer, e.g. in one dict,
    gives an optimizer of the copied model) with a copy of the state and learning rates."""
    groups, kwargs, state = _optimizer_parts(opt, lambda p: copy.deepcopy(p, memo))
    new = _rebuild_optimizer(type(opt), groups, kwargs, state)
    memo[id(opt)] = new
    return new


def reduce_optimizer(opt):
    """pickle of an optimizer: its parameters (by value), options and state_dict()."""
    groups, kwargs, state = _optimizer_parts(opt, lambda p: p)
    return _rebuild_optimizer, (type(opt), groups, kwargs, state)


# ---- objects whose state cannot be copied -----------------------------------------------------

def refuse(obj, what, why):
    """The TypeError for deepcopy/pickle of an object whose engine state cannot be read."""
    return TypeError(f"swiftnn: {type(obj).__name__} cannot be {what}: {why}")


def shallow_copy_with_ref(obj, ref_fn):
    """copy.copy of an object holding its raw handle in `_h`: the copy shares the Python
    attributes and holds its own second handle to the same engine object."""
    new = obj.__class__.__new__(obj.__class__)
    new.__dict__.update(obj.__dict__)
    new._h = _ref(ref_fn, obj._h)
    return new
