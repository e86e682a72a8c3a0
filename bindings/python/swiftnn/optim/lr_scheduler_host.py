"""LambdaLR, MultiplicativeLR, ExponentialLR, OneCycleLR and ReduceLROnPlateau over the engine's
schedulers (snn_lr_scheduler_lambda, ..._reduce_on_plateau in swiftnn/optim.h), with PyTorch's
names, signatures and state_dict keys. The engine computes every rate (and OneCycleLR's
momentum); LambdaLR and MultiplicativeLR hand it a ctypes callback that calls the Python
functions, and ReduceLROnPlateau hands it the metric. Re-exported by swiftnn.optim.lr_scheduler."""
from __future__ import annotations

import ctypes
import itertools
import math
import threading
import types
from typing import Any, Callable, Dict, List, Literal, Optional, Sequence, Union

from .. import _ffi
from .._lib import check, lib
from .._options import options
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer

__all__ = ["LambdaLR", "MultiplicativeLR", "ExponentialLR", "OneCycleLR", "ReduceLROnPlateau"]

# ---- LambdaLR, MultiplicativeLR: one ctypes callback for every scheduler -------------------
# The engine passes back the integer it was given as user_data, which keys the scheduler's
# functions here; the release callback drops the entry when the engine frees the scheduler.
# An exception raised by a function becomes NaN for the engine (its failure signal, which
# leaves the rates unchanged) and is re-raised by the step that called it.

_lambdas: Dict[int, List[Callable[[int], float]]] = {}
_keys = itertools.count(1)
_local = threading.local()  # .error: the exception a function raised during this thread's call


def _call_lambda(epoch: int, group: int, user_data: Optional[int]) -> float:
    try:
        return float(_lambdas[int(user_data or 0)][group](epoch))
    except BaseException as e:  # noqa: B036 -- nothing may unwind through the engine
        _local.error = e
        return math.nan


def _release_lambdas(user_data: Optional[int]) -> None:
    table = _lambdas
    if table is not None:  # None once the interpreter tears the module down
        table.pop(int(user_data or 0), None)


_TRAMPOLINE = _ffi.snn_lr_lambda_fn(_call_lambda)
_RELEASE = _ffi.snn_lr_lambda_release_fn(_release_lambdas)
# A scheduler freed by the interpreter's last collection calls _RELEASE after this module's
# globals are gone: one leaked reference each keeps the C thunks alive (as _grad_hooks does).
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_TRAMPOLINE))
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_RELEASE))


def _raising(status: int) -> None:
    """check(status), re-raising the exception an lr_lambda raised during the call, if any."""
    error = getattr(_local, "error", None)
    _local.error = None
    if status != _ffi.SNN_OK and error is not None:
        raise error
    check(status)


class _LambdaScheduler(LRScheduler):
    # PyTorch saves a callable object's __dict__ and None for plain functions and lambdas.
    _c_make: Any = None

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        else:
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def _make(self, out: Any, opt: Any) -> int:
        key = next(_keys)
        _lambdas[key] = self.lr_lambdas
        # The engine calls _RELEASE exactly once, also when this call fails.
        return _raising_status(type(self)._c_make(out, opt, _TRAMPOLINE, ctypes.c_void_p(key), _RELEASE))

    def step(self, epoch: Optional[int] = None) -> None:
        """Advances one epoch; an exception raised by lr_lambda propagates and changes nothing."""
        if epoch is not None:
            raise NotImplementedError("swiftnn: step(epoch) (deprecated in PyTorch) is not supported; call step()")
        _raising(lib.snn_lr_scheduler_step(self._h))

    def state_dict(self) -> Dict[str, Any]:
        """The state without the functions (a callable object's attributes are kept)."""
        sd = super().state_dict()
        sd["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                            for fn in self.lr_lambdas]
        return sd

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restores the state; the functions stay those given at construction."""
        sd = dict(state_dict)
        saved = sd.pop("lr_lambdas", None) or []
        super().load_state_dict(sd)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                fn.__dict__.update(attrs)

    def _config(self) -> Dict[str, Any]:
        return dict(lr_lambda=self.lr_lambdas)


def _raising_status(status: int) -> int:
    """A constructor's status, with an lr_lambda's exception raised instead of the message."""
    _raising(status)
    return status


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr * lr_lambda(epoch), one function or one per parameter group."""

    _c_make = lib.snn_lr_scheduler_lambda

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], Sequence[Callable[[int], float]]],
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)


class MultiplicativeLR(_LambdaScheduler):
    """lr *= lr_lambda(epoch) at every step after the first (construction keeps the lr)."""

    _c_make = lib.snn_lr_scheduler_multiplicative

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], Sequence[Callable[[int], float]]],
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)


class ExponentialLR(LRScheduler):
    """lr *= gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def _make(self, out: Any, opt: Any) -> int:
        return int(lib.snn_lr_scheduler_exponential(out, opt, self.gamma))

    def _config(self) -> Dict[str, Any]:
        return dict(gamma=self.gamma)

    def _config_state(self) -> Dict[str, Any]:
        return {"gamma": self.gamma}


def _per_group(name: str, optimizer: Optimizer, value: Any) -> List[float]:
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"expected {len(optimizer.param_groups)} values for {name}, got {len(value)}")
        return [float(v) for v in value]
    return [float(value)] * len(optimizer.param_groups)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith): lr from max_lr / div_factor up to max_lr over pct_start of
    total_steps, then down to initial_lr / final_div_factor (three_phase: back to initial_lr
    first), by cosine or linear annealing; with cycle_momentum, momentum (SGD) or beta1 (Adam,
    AdamW) moves inversely between max_momentum and base_momentum. Step once per batch."""

    def __init__(self, optimizer: Optimizer, max_lr: Union[float, List[float]], total_steps: Optional[int] = None,
                 epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: Literal["cos", "linear"] = "cos", cycle_momentum: bool = True,
                 base_momentum: Union[float, List[float]] = 0.85, max_momentum: Union[float, List[float]] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        self._max_lrs = _per_group("max_lr", optimizer, max_lr)
        self.cycle_momentum = bool(cycle_momentum)
        self._args = dict(pct_start=float(pct_start), div_factor=float(div_factor),
                          final_div_factor=float(final_div_factor), three_phase=bool(three_phase))
        self._momenta: Optional[tuple[List[float], List[float]]] = None
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            self._momenta = (_per_group("base_momentum", optimizer, base_momentum),
                             _per_group("max_momentum", optimizer, max_momentum))
        # PyTorch's param_groups entries (the engine keeps its own copies).
        for i, group in enumerate(optimizer.param_groups):
            group["initial_lr"] = self._max_lrs[i] / div_factor
        super().__init__(optimizer, last_epoch)
        for i, group in enumerate(optimizer.param_groups):
            group["max_lr"] = self._max_lrs[i]
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if self._momenta is not None:
                group["base_momentum"], group["max_momentum"] = self._momenta[0][i], self._momenta[1][i]

    def _make(self, out: Any, opt: Any) -> int:
        a = self._args
        o = options(_ffi.snn_one_cycle_options, total_steps=self.total_steps, pct_start=a["pct_start"],
                    anneal_strategy=_ffi.SNN_ANNEAL_COS if self._anneal_func_type == "cos" else _ffi.SNN_ANNEAL_LINEAR,
                    cycle_momentum=self.cycle_momentum, div_factor=a["div_factor"],
                    final_div_factor=a["final_div_factor"], three_phase=a["three_phase"])
        n = len(self._max_lrs)
        keep = [(ctypes.c_double * n)(*self._max_lrs)]
        if self._momenta is not None:
            keep += [(ctypes.c_double * n)(*self._momenta[0]), (ctypes.c_double * n)(*self._momenta[1])]
            o.base_momentums = ctypes.cast(keep[1], ctypes.POINTER(ctypes.c_double))
            o.max_momentums = ctypes.cast(keep[2], ctypes.POINTER(ctypes.c_double))
        return int(lib.snn_lr_scheduler_one_cycle(out, opt, keep[0], n, ctypes.byref(o)))

    def _config(self) -> Dict[str, Any]:
        a = self._args
        config = dict(max_lr=self._max_lrs, total_steps=self.total_steps, pct_start=a["pct_start"],
                      anneal_strategy=self._anneal_func_type, cycle_momentum=self.cycle_momentum,
                      div_factor=a["div_factor"], final_div_factor=a["final_div_factor"],
                      three_phase=a["three_phase"])
        if self._momenta is not None:
            config.update(base_momentum=self._momenta[0], max_momentum=self._momenta[1])
        return config

    def _config_state(self) -> Dict[str, Any]:
        sd: Dict[str, Any] = {"total_steps": self.total_steps, "cycle_momentum": self.cycle_momentum,
                              "_anneal_func_type": self._anneal_func_type}
        if self.cycle_momentum:
            sd["use_beta1"] = self.use_beta1
        return sd


class ReduceLROnPlateau(LRScheduler):
    """Multiplies the lr by factor once the metric has not improved for more than patience
    epochs (mode 'min' or 'max'; threshold relative or absolute), then waits cooldown epochs;
    never below min_lr, and changes smaller than eps are skipped. step(metric) each epoch."""

    _public_engine_keys = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter")
    _records_initial_lr = False

    def __init__(self, optimizer: Optimizer, mode: Literal["min", "max"] = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: Literal["rel", "abs"] = "rel",
                 cooldown: int = 0, min_lr: Union[float, List[float]] = 0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr: Optional[float] = None
            self.min_lrs = [float(m) for m in min_lr]
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [float(min_lr)] * len(optimizer.param_groups)
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.mode_worse = math.inf if mode == "min" else -math.inf
        super().__init__(optimizer)

    def _make(self, out: Any, opt: Any) -> int:
        n = len(self.min_lrs)
        floors = (ctypes.c_double * n)(*self.min_lrs)
        o = options(_ffi.snn_plateau_options, mode=_ffi.SNN_PLATEAU_MIN if self.mode == "min" else _ffi.SNN_PLATEAU_MAX,
                    factor=float(self.factor), patience=int(self.patience), threshold=float(self.threshold),
                    threshold_mode=_ffi.SNN_THRESHOLD_REL if self.threshold_mode == "rel" else _ffi.SNN_THRESHOLD_ABS,
                    cooldown=int(self.cooldown), eps=float(self.eps),
                    min_lrs=ctypes.cast(floors, ctypes.POINTER(ctypes.c_double)))
        return int(lib.snn_lr_scheduler_reduce_on_plateau(out, opt, ctypes.byref(o)))

    def step(self, metrics: Any, epoch: Optional[int] = None) -> None:  # type: ignore[override]
        """Records this epoch's metric (a number or 0-d tensor) and reduces the lr when due."""
        if epoch is not None:
            raise NotImplementedError("swiftnn: step(metrics, epoch) (deprecated in PyTorch) is not supported")
        check(lib.snn_lr_scheduler_step_metric(self._h, float(metrics)))

    @property
    def best(self) -> float:
        """The best metric so far (inf or -inf before the first, by mode)."""
        return float(self._engine_state()["best"])

    @property
    def num_bad_epochs(self) -> int:
        """Epochs since the last improvement (not counting cooldown)."""
        return int(self._engine_state()["num_bad_epochs"])

    @property
    def cooldown_counter(self) -> int:
        """Epochs of cooldown left."""
        return int(self._engine_state()["cooldown_counter"])

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is waiting out its cooldown after a reduction."""
        return self.cooldown_counter > 0

    def _config(self) -> Dict[str, Any]:
        return dict(mode=self.mode, factor=self.factor, patience=self.patience, threshold=self.threshold,
                    threshold_mode=self.threshold_mode, cooldown=self.cooldown, eps=self.eps,
                    min_lr=self.min_lrs if self.default_min_lr is None else self.default_min_lr)

    def _config_state(self) -> Dict[str, Any]:
        return {"mode": self.mode, "factor": self.factor, "patience": self.patience, "threshold": self.threshold,
                "threshold_mode": self.threshold_mode, "cooldown": self.cooldown, "min_lrs": self.min_lrs,
                "default_min_lr": self.default_min_lr, "eps": self.eps, "mode_worse": self.mode_worse}
