"""torch.optim's Optimizer, SGD, Adam and AdamW over the engine's optimizers: parameter
groups, step() and zero_grad(). The state and the updates live in the engine; parameters are
updated in place, so every Tensor referring to a parameter sees the new values."""
from __future__ import annotations

import collections.abc
import ctypes
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, SupportsIndex, TypeVar, Union, overload

from .._ffi import snn_adagrad_options, snn_adam_options, snn_rmsprop_options, snn_sgd_options
from .._lib import check, lib
from .._options import options
from ..tensor import Tensor, _wrap_new

_L = TypeVar("_L")  # what step(closure) returns: the closure's loss (torch: float; here any type)

# What an optimizer takes (torch.optim.optimizer.ParamsT): tensors, or groups of them as dicts.
ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]


def _handles(params: Sequence[Tensor]) -> ctypes.Array[ctypes.c_void_p]:
    """A C array of the parameters' handles (the caller keeps `params` alive during the call)."""
    return (ctypes.c_void_p * max(len(params), 1))(*[p._h for p in params])


def _param_list(params: Any) -> tuple[list[Tensor], Optional[list[str]]]:
    """A group's "params" entry as a list of Tensors (also accepts (name, tensor) pairs)."""
    if isinstance(params, Tensor):
        return [params], None
    if isinstance(params, (set, frozenset)):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                        "tensors in sets will change between runs. Please use a list instead.")
    params = list(params)
    names = None
    if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
        names, params = [n for n, _ in params], [p for _, p in params]
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
    return params, names


class _ParamGroup(collections.abc.MutableMapping[str, Any]):
    """One entry of optimizer.param_groups: a dict whose "lr" lives in the engine, so reading
    and assigning it (as schedulers and training scripts do) reads and sets the engine's."""

    def __init__(self, optimizer: Optimizer, index: int, values: dict[str, Any]) -> None:
        self._opt, self._index, self._values = optimizer, index, values

    def __getitem__(self, key: str) -> Any:
        if key == "lr":
            v = ctypes.c_double()
            check(lib.snn_optimizer_get_lr(ctypes.byref(v), self._opt._h, self._index))
            return v.value
        if key == self._opt._momentum_key:
            # The engine's: OneCycleLR sets it there (snn_optimizer_set_momentum) on every step.
            v = ctypes.c_double()
            check(lib.snn_optimizer_get_momentum(ctypes.byref(v), self._opt._h, self._index))
            return v.value if key == "momentum" else (v.value, *self._values[key][1:])
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "lr":
            check(lib.snn_optimizer_set_lr(self._opt._h, self._index, float(value)))
        elif key == "momentum" and key == self._opt._momentum_key and self[key] != value:
            check(lib.snn_optimizer_set_momentum(self._opt._h, self._index, float(value)))  # OneCycleLR
            self._values[key] = value
        elif key == "betas" and key == self._opt._momentum_key and tuple(value[1:]) == tuple(self._values[key][1:]):
            if float(value[0]) != self[key][0]:
                check(lib.snn_optimizer_set_momentum(self._opt._h, self._index, float(value[0])))  # beta1 only
            self._values[key] = tuple(value)
        elif key == "params" or key in self._opt.defaults:
            if key != "params" and self._values.get(key) == value:
                return
            raise NotImplementedError(f"swiftnn: param_groups[{self._index}][{key!r}] cannot be changed after "
                                      "construction (only 'lr' can); create a new optimizer instead")
        else:
            self._values[key] = value

    def __delitem__(self, key: str) -> None:
        if key == "params" or key == "lr" or key in self._opt.defaults:
            raise NotImplementedError(f"swiftnn: param_groups[{self._index}][{key!r}] cannot be removed")
        del self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self))


class Optimizer:
    """Base of the optimizers: parameter groups, step(), zero_grad(). Subclasses name their C
    constructor and how a group's options become the C options struct."""

    if TYPE_CHECKING:  # what each subclass defines
        _create: Callable[..., int]     # C constructor
        _add_group: Callable[..., int]  # C function adding a group
        _options: Callable[[Mapping[str, Any]], ctypes.Structure]  # a group's options as the C struct
    else:
        _create = None     # C constructor
        _add_group = None  # C function adding a group

    _h: Optional[int]
    defaults: dict[str, Any]
    param_groups: list[_ParamGroup]
    _momentum_key: Optional[str] = None  # the group key snn_optimizer_get/set_momentum reads and writes, if any

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self._h = None
        for flag in ("differentiable", "capturable"):
            if defaults.pop(flag, False):
                raise NotImplementedError(f"swiftnn: {type(self).__name__}({flag}=True) is not supported")
        defaults.pop("foreach", None)  # one fused engine loop either way
        defaults.pop("fused", None)
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got swiftnn.Tensor")
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        first = self._complete(groups[0])
        out = ctypes.c_void_p()
        ps = first["params"]
        check(self._create(ctypes.byref(out), _handles(ps), len(ps), ctypes.byref(self._options(first))))
        self._h = out.value
        self.param_groups = [_ParamGroup(self, 0, first)]
        for g in groups[1:]:
            self.add_param_group(g)

    def _complete(self, group: object) -> dict[str, Any]:
        if not isinstance(group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(group).__name__}")
        group = dict(group)
        if "params" not in group:
            raise ValueError("a parameter group needs a 'params' entry")
        group["params"], names = _param_list(group["params"])
        if names is not None:
            group["param_names"] = names
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        return group

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own options (missing ones: the defaults)."""
        group = self._complete(param_group)
        ps = group["params"]
        check(self._add_group(self._h, _handles(ps), len(ps), ctypes.byref(self._options(group))))
        self.param_groups.append(_ParamGroup(self, len(self.param_groups), group))

    @overload
    def step(self, closure: None = None) -> None: ...
    @overload
    def step(self, closure: Callable[[], _L]) -> _L: ...

    def step(self, closure: Optional[Callable[[], _L]] = None) -> Optional[_L]:
        """One update of every parameter that has a gradient. `closure`, if given, is called
        first (it should recompute the loss and call backward) and its result returned."""
        loss = None if closure is None else closure()
        check(lib.snn_optimizer_step(self._h))
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drops every parameter's gradient (set_to_none=True) or zeros it in place."""
        check(lib.snn_optimizer_zero_grad(self._h, bool(set_to_none)))

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {"state": {param number: {key: tensor}}, "param_groups": [group
        options with "params": [param numbers]]}, parameters numbered across groups in order.
        The tensors are copies: later steps do not change a saved state_dict."""
        state: dict[int, dict[str, Tensor]] = {}
        n = ctypes.c_size_t()
        check(lib.snn_optimizer_state_count(ctypes.byref(n), self._h))
        key = ctypes.create_string_buffer(64)
        for i in range(n.value):
            param, value = ctypes.c_int64(), ctypes.c_void_p()
            check(lib.snn_optimizer_state_get(ctypes.byref(param), key, len(key), ctypes.byref(value), self._h, i))
            state.setdefault(param.value, {})[key.value.decode()] = _wrap_new(value.value)
        groups: list[dict[str, Any]] = []
        start = 0
        for g in self.param_groups:
            d = {k: g[k] for k in g if k not in ("params", "lr")}
            d["lr"] = g["lr"]
            d["params"] = list(range(start, start + len(g["params"])))
            start += len(g["params"])
            groups.append(d)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores state and learning rates saved by state_dict() (of this optimizer type,
        over parameters of the same shapes in the same group layout), so training resumes
        exactly where it stopped."""
        groups, saved_state = state_dict["param_groups"], state_dict.get("state", {})
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        number: dict[Any, int] = {}
        start = 0
        for mine, theirs in zip(self.param_groups, groups):
            if len(theirs["params"]) != len(mine["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
            for j, saved_id in enumerate(theirs["params"]):
                number[saved_id] = start + j
            start += len(mine["params"])
        for i, (mine, theirs) in enumerate(zip(self.param_groups, groups)):
            for k in self.defaults:
                if k in ("momentum", "betas"):
                    continue  # settable in the engine (OneCycleLR cycles them): restored below
                if k in theirs and k != "lr" and theirs[k] != mine[k] and not (k in ("foreach", "fused") or
                                                                               _same_betas(theirs[k], mine[k])):
                    raise NotImplementedError(
                        f"swiftnn: param_groups[{i}][{k!r}] is {theirs[k]!r} in the loaded state but {mine[k]!r} here; "
                        "only 'lr' can change after construction: create the optimizer with the saved options")
        from ..tensor import tensor as _tensor
        for saved_id, entries in saved_state.items():
            if saved_id not in number:
                raise ValueError(f"loaded state dict has state for parameter {saved_id}, which no param_group lists")
            for key, value in entries.items():
                if value is None:
                    continue
                if not isinstance(value, Tensor):
                    value = _tensor(value)
                check(lib.snn_optimizer_state_set(self._h, number[saved_id], key.encode(), value._h))
        for mine, theirs in zip(self.param_groups, groups):
            if "lr" in theirs:
                mine["lr"] = theirs["lr"]
            for k, v in theirs.items():  # momentum, betas and schedulers' entries (initial_lr, max_lr, ...)
                if k not in ("params", "lr", "param_names") and not (k in mine and (v == mine[k] or _same_betas(v, mine[k]))):
                    mine[k] = tuple(v) if k == "betas" else v

    # copy.copy shares the engine optimizer (a second handle); deepcopy and pickle make a new
    # one over copied parameters with the state of state_dict() (copying.py), as PyTorch's.
    def __copy__(self) -> Optimizer:
        from ..copying import shallow_copy_with_ref
        return shallow_copy_with_ref(self, lib.snn_optimizer_ref)

    def __deepcopy__(self, memo: dict[int, Any]) -> Optimizer:
        from ..copying import deepcopy_optimizer
        return deepcopy_optimizer(self, memo)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        from ..copying import reduce_optimizer
        return reduce_optimizer(self)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {g[k]}" for k in sorted(g) if k not in ("params", "param_names")]
        return "\n".join(lines + [")"])

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h and lib is not None:
            try:
                lib.snn_optimizer_free(h)
            except Exception:  # interpreter shutdown
                pass
            self._h = None


def _same_betas(a: object, b: object) -> bool:
    """betas saved as a list (JSON) equal betas given as a tuple."""
    return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and list(a) == list(b)


class SGD(Optimizer):
    """torch.optim.SGD: momentum (the first step sets the buffer to the gradient), dampening,
    Nesterov momentum, L2 weight decay, maximize."""

    _create = lib.snn_optimizer_sgd
    _momentum_key = "momentum"
    _add_group = lib.snn_optimizer_add_sgd_group

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    @staticmethod
    def _options(g: Mapping[str, Any]) -> snn_sgd_options:
        return options(snn_sgd_options, lr=float(g["lr"]), momentum=float(g["momentum"]),
                       dampening=float(g["dampening"]), weight_decay=float(g["weight_decay"]),
                       nesterov=bool(g["nesterov"]), maximize=bool(g["maximize"]))


def _adam_options(g: Mapping[str, Any]) -> snn_adam_options:
    betas = tuple(g["betas"])
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair of floats, got {g['betas']!r}")
    return options(snn_adam_options, lr=float(g["lr"]), beta1=float(betas[0]), beta2=float(betas[1]),
                   eps=float(g["eps"]), weight_decay=float(g["weight_decay"]), amsgrad=bool(g["amsgrad"]),
                   maximize=bool(g["maximize"]))


class Adam(Optimizer):
    """torch.optim.Adam (AMSGrad, L2 weight decay, maximize; decoupled_weight_decay=True is AdamW)."""

    _add_group = lib.snn_optimizer_add_adam_group
    _momentum_key = "betas"  # beta1

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None, decoupled_weight_decay: bool = False) -> None:
        self._create = lib.snn_optimizer_adamw if decoupled_weight_decay else lib.snn_optimizer_adam
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=bool(decoupled_weight_decay)))

    _options = staticmethod(_adam_options)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (p *= 1 - lr * weight_decay)."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """torch.optim.RMSprop: smoothing constant alpha, momentum, centered (normalise by the
    gradient's estimated variance), L2 weight decay, maximize."""

    _create = lib.snn_optimizer_rmsprop
    _add_group = lib.snn_optimizer_add_rmsprop_group

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    @staticmethod
    def _options(g: Mapping[str, Any]) -> snn_rmsprop_options:
        return options(snn_rmsprop_options, lr=float(g["lr"]), alpha=float(g["alpha"]), eps=float(g["eps"]),
                       weight_decay=float(g["weight_decay"]), momentum=float(g["momentum"]),
                       centered=bool(g["centered"]), maximize=bool(g["maximize"]))


class Adagrad(Optimizer):
    """torch.optim.Adagrad: lr_decay, L2 weight decay, initial_accumulator_value, maximize. As
    in PyTorch every parameter has state ("step", "sum") from construction."""

    _create = lib.snn_optimizer_adagrad
    _add_group = lib.snn_optimizer_add_adagrad_group

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))

    @staticmethod
    def _options(g: Mapping[str, Any]) -> snn_adagrad_options:
        return options(snn_adagrad_options, lr=float(g["lr"]), lr_decay=float(g["lr_decay"]),
                       weight_decay=float(g["weight_decay"]),
                       initial_accumulator_value=float(g["initial_accumulator_value"]), eps=float(g["eps"]),
                       maximize=bool(g["maximize"]))
