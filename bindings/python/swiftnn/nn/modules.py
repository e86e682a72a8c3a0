"""swiftnn.nn.Module and friends. Containers and user models are Python objects, as in
PyTorch (subclass Module, assign Parameters and submodules, write forward); built-in layers
wrap engine modules (EngineModule), so their forward is one C call."""
from __future__ import annotations

import ctypes
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, TypeVar, Union, cast

from .. import dtypes as _dtypes
from .._handles import Handle, read_string
from .._lib import ShapeError, check, lib, shape_array
from ..autograd import no_grad as _no_grad
from ..serialization import TensorMap
from ..tensor import Tensor, _new

if TYPE_CHECKING:
    from .hooks import RemovableHandle

T = TypeVar("T", bound="Module")


class Parameter(Tensor):
    """A leaf tensor registered as a module parameter (requires_grad by default)."""

    __slots__ = ()

    def __new__(cls, data: Any, requires_grad: bool = True) -> Parameter:
        from ..tensor import tensor as _tensor
        src = data if isinstance(data, Tensor) else _tensor(data)
        p = _new(lib.snn_tensor_detach, src._h)
        p.__class__ = cls
        if requires_grad:
            p.requires_grad_(True)
        return cast(Parameter, p)  # of class cls, by the assignment above

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _as_parameter(t: Tensor) -> Parameter:
    if isinstance(t, Parameter):
        return t
    t.__class__ = Parameter
    return cast(Parameter, t)  # by the assignment above


class Module:
    """Base class for models: assign Parameters and Modules as attributes, define forward."""

    _parameters: OrderedDict[str, Optional[Parameter]]
    _buffers: OrderedDict[str, Optional[Tensor]]
    _modules: OrderedDict[str, Optional[Module]]
    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- attribute registration ----------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign before Module.__init__() call")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        # As torch.nn.Module: None keeps a registered parameter, submodule or buffer registered
        # (as None), and a tensor assigned to a buffer's name replaces the buffer.
        if value is None and name in params:
            params[name] = None
        elif value is None and name in modules:
            modules[name] = None
        elif name in buffers and (value is None or (isinstance(value, Tensor) and not isinstance(value, Parameter))):
            buffers[name] = value
        else:
            for d in (params, buffers, modules):
                d.pop(name, None)
            if isinstance(value, (Parameter, Module)):
                # a plain attribute of that name (self.down = None before self.down =
                # nn.Sequential(...)) would shadow the registered value
                self.__dict__.pop(name, None)
                if isinstance(value, Parameter):
                    params[name] = value
                else:
                    modules[name] = value
            else:
                object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for k in ("_parameters", "_buffers", "_modules"):
            if k in d and name in d[k]:
                return d[k][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Optional[Tensor]) -> None:
        """Registers `param` (a Parameter, a Tensor made one, or None) under `name`."""
        if param is None:
            self._parameters[name] = None
        else:
            self._parameters[name] = _as_parameter(param)

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """Registers a tensor that is state but not a parameter (in state_dict, not in parameters())."""
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Optional[Module]) -> None:
        """Registers a submodule under `name` (as assigning self.<name> = module does)."""
        self._modules[name] = module

    register_module = add_module

    def __deepcopy__(self, memo: dict[int, Any]) -> Module:
        from ..copying import deepcopy_module
        return deepcopy_module(self, memo)

    # ---- calling -------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it and callers call the module itself."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
            from .hooks import call_with_backward_hooks
            return call_with_backward_hooks(self, args, kwargs)
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
            from .hooks import call_with_hooks
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) -> None or new args (with_kwargs: hook(module, args, kwargs) ->
        None or (args, kwargs)), run before forward; returns a handle with remove()."""
        from .hooks import add_hook
        return add_hook(self, "_forward_pre_hooks", hook, prepend, (hook, with_kwargs))

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """hook(module, args, output) -> None or a new output (with_kwargs: hook(module, args,
        kwargs, output)), run after forward; returns a handle with remove()."""
        from .hooks import add_hook
        return add_hook(self, "_forward_hooks", hook, prepend, (hook, with_kwargs))

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> None or new grad_input, run once the
        gradients with respect to the module's tensor inputs are computed (grad_input holds None
        for inputs that do not require grad); returns a handle with remove(). Replacing
        grad_input works for modules with one input that requires grad."""
        from .hooks import add_hook
        return add_hook(self, "_backward_hooks", hook, prepend, hook)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_output) -> None or new grad_output, run once the gradients with
        respect to the module's outputs are computed, before the module's own backward;
        returns a handle with remove()."""
        from .hooks import add_hook
        return add_hook(self, "_backward_pre_hooks", hook, prepend, hook)

    def apply(self: T, fn: Callable[[Module], None]) -> T:
        """Calls fn on every submodule (children first, depth first), then on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- traversal -----------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct submodule, in registration order."""
        return iter(self._modules.items())  # type: ignore[arg-type]  # None entries are placeholders

    def children(self) -> Iterator[Module]:
        """The direct submodules, in registration order."""
        return iter(self._modules.values())  # type: ignore[arg-type]

    def named_modules(self, memo: Optional[Union[set[int], str]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for self and every submodule, depth first; a module reached twice is
        listed once unless remove_duplicate is False."""
        if isinstance(memo, str):  # the older positional spelling named_modules(prefix)
            prefix = memo
            memo = None
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for n, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + n, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """self and every submodule, depth first, each once."""
        for _, m in self.named_modules():
            yield m

    def _own_parameters(self) -> list[tuple[str, Parameter]]:
        return [(n, p) for n, p in self._parameters.items() if p is not None]

    def _own_buffers(self) -> list[tuple[str, Tensor]]:
        return [(n, b) for n, b in self._buffers.items() if b is not None]

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(qualified name, Parameter) for every parameter, each once (PyTorch's names)."""
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for n, p in m._own_parameters():
                key = id(p)
                if key not in seen:
                    seen.add(key)
                    yield (mp + "." if mp else "") + n, p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once (what an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(qualified name, tensor) for every buffer."""
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for n, b in m._own_buffers():
                yield (mp + "." if mp else "") + n, b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (running statistics and the like)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def state_dict(self, destination: Optional["OrderedDict[str, Tensor]"] = None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """{key: Tensor} with PyTorch's keys and order. As in PyTorch, the tensors share the
        parameters' and buffers' memory but are detached (requires_grad False, so .numpy()
        works) unless keep_vars=True gives the parameters themselves."""
        out: OrderedDict[str, Tensor] = OrderedDict() if destination is None else destination
        for mp, m in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            p = mp + "." if mp else ""
            for n, t in m._own_parameters():
                out[p + n] = t if keep_vars else t.detach()
            for n, b in m._own_buffers():
                out[p + n] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> _IncompatibleKeys:
        """Copies values in place (shapes must match). Accepts Tensors or numpy arrays. Errors
        are PyTorch's: missing and unexpected keys (with strict=True; each listed only when there
        are any) and every size mismatch, naming the key and both shapes, in one RuntimeError
        (a ShapeError when shapes disagree); nothing is copied then. Returns
        (missing_keys, unexpected_keys)."""
        from ..tensor import Size, tensor as _tensor
        mine = self.state_dict()
        missing = [k for k in mine if k not in state_dict]
        unexpected = [k for k in state_dict if k not in mine]
        errors: list[str] = []
        sources: dict[str, Tensor] = {}
        if strict and missing:
            errors.append("Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
        mismatched = False
        for k, dst in mine.items():
            if k in state_dict:
                src = state_dict[k]
                if not isinstance(src, Tensor):
                    src = _tensor(src, dtype=dst.dtype)
                if tuple(src.shape) != tuple(dst.shape):  # copy_ would broadcast; PyTorch refuses
                    mismatched = True
                    errors.append(f"size mismatch for {k}: copying a param with shape {Size(src.shape)!r} from checkpoint, "
                                  f"the shape in current model is {Size(dst.shape)!r}.")
                sources[k] = src
        if errors:
            msg = "Error(s) in loading state_dict for {}:\n\t{}".format(type(self).__name__, "\n\t".join(errors))
            raise (ShapeError if mismatched else RuntimeError)(msg)
        for k, src in sources.items():
            with _no_grad():  # as PyTorch: parameters are overwritten outside the graph
                check(lib.snn_tensor_copy_(mine[k]._h, src._h))
        return _IncompatibleKeys(missing, unexpected)

    # ---- modes ---------------------------------------------------------------------------
    def train(self: T, mode: bool = True) -> T:
        """Sets training mode (dropout active, batch norm updating) on self and every submodule; returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
            m._set_engine_training(mode)
        return self

    def eval(self: T) -> T:
        """Sets evaluation mode on self and every submodule (train(False)); returns self."""
        return self.train(False)

    def _set_engine_training(self, mode: bool) -> None:
        pass

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        """Sets requires_grad on every parameter (False freezes the module); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Converts every floating parameter and buffer in place (to(dtype), to("cpu"),
        to(tensor), dtype=/device= keywords); returns self (module_dtype.py)."""
        from .module_dtype import module_to
        return module_to(self, *args, **kwargs)

    def double(self) -> "Module":
        """Every floating parameter and buffer becomes float64, in place; returns self."""
        return self.to(_dtypes.float64)

    def float(self) -> "Module":  # noqa: A003 (PyTorch's name)
        """Every floating parameter and buffer becomes float32, in place; returns self."""
        return self.to(_dtypes.float32)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears every parameter's gradient."""
        for p in self.parameters():
            p.grad = None

    # ---- printing ------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The module-specific part of repr() (its constructor arguments)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        if self._modules:
            lines[0] = lines[0][:-1] + "(" if False else lines[0]
            for n, m in self._modules.items():
                sub = repr(m).replace("\n", "\n  ")
                lines.append(f"  ({n}): {sub}")
            return "\n".join(lines) + "\n)"
        return lines[0] + ")"


class _IncompatibleKeys(tuple[list[str], list[str]]):
    """PyTorch's result of load_state_dict: (missing_keys, unexpected_keys), by name too."""

    def __new__(cls, missing: list[str], unexpected: list[str]) -> _IncompatibleKeys:
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self) -> list[str]:
        """The model's keys that state_dict lacked."""
        return self[0]

    @property
    def unexpected_keys(self) -> list[str]:
        """The state_dict's keys that the model lacks."""
        return self[1]

    def __repr__(self) -> str:
        if not self[0] and not self[1]:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self[0]}, unexpected_keys={self[1]})"


class EngineModule(Module):
    """A layer implemented in the engine: forward is one C call, parameters and buffers are
    the engine's live tensors (so optimizers and state dicts see the same storage)."""

    # engine type name -> Python class, for rebuilding loaded checkpoints
    _ENGINE_TYPES: dict[str, type[EngineModule]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._ENGINE_TYPES[cls.__name__] = cls

    def _bind(self, handle: int) -> None:
        """Takes ownership of an engine module handle and mirrors its tensors."""
        Module.__init__(self)
        object.__setattr__(self, "_engine", Handle(handle, lib.snn_module_free))
        params = TensorMap(_handle_from(lib.snn_module_named_parameters, handle)).to_dict()
        state = TensorMap(_handle_from(lib.snn_module_state_dict, handle)).to_dict()
        for n, t in state.items():
            if "." in n:
                continue  # a child's entry: engine containers are mirrored by their children
            if n in params:
                self._parameters[n] = _as_parameter(t)
            else:
                self._buffers[n] = t

    @property
    def _mh(self) -> int:
        h: int = self._engine.value
        return h

    def __setattr__(self, name: str, value: Any) -> None:
        # The engine layer computes with its own tensors: a new one assigned here would be seen
        # by Python (state_dict, optimizers) while every forward used the old one. Refused
        # with the fix, rather than diverging silently.
        d = self.__dict__
        if "_engine" in d and (name in d["_parameters"] or name in d["_buffers"]):
            current = d["_parameters"].get(name, d["_buffers"].get(name))
            if value is not current:
                kind = "parameter" if name in d["_parameters"] else "buffer"
                raise AttributeError(
                    f"{type(self).__name__}.{name}: a built-in layer's {kind} cannot be replaced by another tensor "
                    f"(the engine layer would go on computing with its own); copy the values into it instead: "
                    f"`with swiftnn.no_grad(): layer.{name}.copy_(new_values)`")
        super().__setattr__(name, value)

    # copy.copy shares (the default: the same owner of the engine handle); deepcopy and pickle
    # make a new engine module (copying.py).
    def __deepcopy__(self, memo: dict[int, Any]) -> Module:
        from ..copying import deepcopy_engine_module
        return deepcopy_engine_module(self, memo)

    def __reduce_ex__(self, protocol: Any) -> Any:
        from ..copying import reduce_engine_module
        return reduce_engine_module(self)

    def _config(self) -> dict[str, Any]:
        """Constructor arguments as the engine records them (torch's attribute names)."""
        cfg: Optional[dict[str, Any]] = self.__dict__.get("_cfg")
        if cfg is None:
            import json
            cfg = json.loads(read_string(lib.snn_module_architecture, self._mh)).get("config", {})
            object.__setattr__(self, "_cfg", cfg)
        return cfg

    def __getattr__(self, name: str) -> Any:
        try:
            return Module.__getattr__(self, name)
        except AttributeError:
            cfg = self._config() if "_engine" in self.__dict__ else {}
            if name in cfg:
                v = cfg[name]
                return tuple(v) if isinstance(v, list) else v
            raise

    def extra_repr(self) -> str:
        """The constructor arguments as the engine records them."""
        return ", ".join(f"{k}={tuple(v) if isinstance(v, list) else v}" for k, v in self._config().items())

    def forward(self, input: Tensor) -> Tensor:
        """The engine layer applied to `input`: one C call (call the module itself: module(input))."""
        return _new(lib.snn_module_forward, self._mh, input._h)

    def _set_engine_training(self, mode: bool) -> None:
        check(lib.snn_module_train(self._mh, bool(mode)))

    def summary(self, input_size: Iterable[int]) -> str:
        """Each layer's output shape and parameter count (engine's table)."""
        shp, nd = shape_array(input_size)
        return read_string(lib.snn_module_summary, self._mh, shp, nd)

    @property
    def engine_type(self) -> str:
        """The engine's name for this layer type (snn_module_type)."""
        return read_string(lib.snn_module_type, self._mh)


def _handle_from(fn: Callable[..., int], *args: Any) -> Any:
    from .._handles import new_handle
    return new_handle(fn, lib.snn_tensor_map_free, *args)
