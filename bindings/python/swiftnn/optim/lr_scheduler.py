"""torch.optim.lr_scheduler's StepLR, MultiStepLR, CosineAnnealingLR and LinearLR over the
engine's schedulers, which set the optimizer's learning rates with PyTorch's recursive forms.
Construction performs PyTorch's initial step (epoch 0); call step() after optimizer.step()."""
from __future__ import annotations

import collections
import ctypes
from typing import Any, Iterable, Optional

from .._lib import check, lib
from .optimizer import Optimizer


class LRScheduler:
    """Base of the schedulers: step(), get_last_lr(), last_epoch, base_lrs."""

    _records_initial_lr = True

    def _make(self, out: Any, opt: Any) -> Any:
        """Calls the scheduler's C constructor (each scheduler its own); returns its status."""
        raise NotImplementedError

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self._h = None
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if last_epoch != -1:
            raise NotImplementedError("swiftnn: resuming a scheduler (last_epoch != -1) is not supported")
        self.optimizer = optimizer
        # PyTorch's rule, which the engine follows too: the first scheduler fixes initial_lr
        # (but ReduceLROnPlateau, as PyTorch's, leaves it).
        if self._records_initial_lr:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group.get("initial_lr", group["lr"]) if self._records_initial_lr else group["lr"]
                         for group in optimizer.param_groups]
        out = ctypes.c_void_p()
        check(self._make(ctypes.byref(out), optimizer._h))
        self._h = out.value

    @property
    def last_epoch(self) -> int:
        """The number of step() calls so far (0 after construction)."""
        v = ctypes.c_int64()
        check(lib.snn_lr_scheduler_last_epoch(ctypes.byref(v), self._h))
        return v.value

    def step(self, epoch: Optional[int] = None) -> None:
        """Advances one epoch and sets the optimizer's learning rates."""
        if epoch is not None:
            raise NotImplementedError("swiftnn: step(epoch) (deprecated in PyTorch) is not supported; call step()")
        check(lib.snn_lr_scheduler_step(self._h))

    def get_last_lr(self) -> list[float]:
        """The learning rates this scheduler set last, one per parameter group."""
        out = []
        for i in range(len(self.base_lrs)):
            v = ctypes.c_double()
            check(lib.snn_lr_scheduler_get_lr(ctypes.byref(v), self._h, i))
            out.append(v.value)
        return out

    # ---- state: the engine's entries (snn_lr_scheduler_state_get/_set) in PyTorch's keys, plus
    # the construction arguments PyTorch's state_dict also holds. A resumed scheduler is built
    # with the same arguments; a state_dict whose arguments differ is refused by name.

    _public_engine_keys: tuple[str, ...] = ("last_epoch", "base_lrs")

    def _config_state(self) -> dict[str, Any]:
        """The construction arguments PyTorch's state_dict holds, by its keys."""
        return {}

    def _engine_state(self) -> dict[str, Any]:
        n = ctypes.c_size_t()
        check(lib.snn_lr_scheduler_state_count(ctypes.byref(n), self._h))
        cap = len(self.optimizer.param_groups) + 1
        out: dict[str, Any] = {}
        for i in range(n.value):
            count, key, values = ctypes.c_size_t(), ctypes.create_string_buffer(64), (ctypes.c_double * cap)()
            check(lib.snn_lr_scheduler_state_get(ctypes.byref(count), key, 64, values, cap, self._h, i))
            k, vs = key.value.decode(), list(values[:count.value])
            out[k] = int(vs[0]) if k in _COUNTERS else vs[0] if k == "best" else vs
        return out

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's keys: the schedule's state and the arguments it was built with."""
        engine = self._engine_state()
        sd = {k: v for k, v in engine.items() if k in self._public_engine_keys or k == "_last_lr"}
        sd.update(self._config_state())
        sd["_step_count"] = engine["last_epoch"] + 1
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores a state_dict() (of this class, from swiftnn or PyTorch) into the engine."""
        for k, v in self._config_state().items():
            if k in state_dict and not _same(state_dict[k], v):
                raise ValueError(f"swiftnn: {type(self).__name__}.load_state_dict: the saved {k} {state_dict[k]!r} "
                                 f"differs from this scheduler's {v!r}; create the scheduler with the saved arguments")
        for k in self._engine_state():
            if k not in state_dict:
                continue
            v = state_dict[k]
            vs = [float(x) for x in v] if isinstance(v, (list, tuple)) else [float(v)]
            arr = (ctypes.c_double * max(len(vs), 1))(*vs)
            check(lib.snn_lr_scheduler_state_set(self._h, k.encode(), arr, len(vs)))
        if "base_lrs" in state_dict:
            self.base_lrs = list(state_dict["base_lrs"])

    # copy.copy shares the engine scheduler (a second handle). deepcopy and pickle, as
    # PyTorch's, copy the optimizer too; the copy is built with the same arguments and given
    # this one's state, then the optimizer's current rates and momenta (a rate set by hand is
    # kept too).
    def __copy__(self) -> LRScheduler:
        from ..copying import shallow_copy_with_ref
        return shallow_copy_with_ref(self, lib.snn_lr_scheduler_ref)

    def __deepcopy__(self, memo: Any) -> LRScheduler:
        import copy
        new = _restored(type(self), copy.deepcopy(self.optimizer, memo), self._config(), self.state_dict(),
                        _rates_and_momenta(self.optimizer))
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol: Any) -> Any:
        return _restored, (type(self), self.optimizer, self._config(), self.state_dict(),
                           _rates_and_momenta(self.optimizer))

    def _config(self) -> dict[str, Any]:
        """Constructor arguments beyond the optimizer (each scheduler names its own)."""
        raise NotImplementedError

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h and lib is not None:
            try:
                lib.snn_lr_scheduler_free(h)
            except Exception:  # interpreter shutdown
                pass
            self._h = None


class StepLR(LRScheduler):
    """lr *= gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer, last_epoch)

    def _make(self, out: Any, opt: Any) -> Any:
        return lib.snn_lr_scheduler_step_lr(out, opt, self.step_size, self.gamma)

    def _config(self) -> dict[str, Any]:
        return dict(step_size=self.step_size, gamma=self.gamma)

    def _config_state(self) -> dict[str, Any]:
        return dict(step_size=self.step_size, gamma=self.gamma)


class MultiStepLR(LRScheduler):
    """lr *= gamma at each milestone (gamma^k at a milestone listed k times)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones, self.gamma = collections.Counter(int(m) for m in milestones), float(gamma)
        super().__init__(optimizer, last_epoch)

    def _make(self, out: Any, opt: Any) -> Any:
        ms = list(self.milestones.elements())
        arr = (ctypes.c_int64 * max(len(ms), 1))(*ms)
        return lib.snn_lr_scheduler_multi_step_lr(out, opt, arr, len(ms), self.gamma)

    def _config(self) -> dict[str, Any]:
        return dict(milestones=list(self.milestones.elements()), gamma=self.gamma)

    def _config_state(self) -> dict[str, Any]:
        return dict(milestones=self.milestones, gamma=self.gamma)


class CosineAnnealingLR(LRScheduler):
    """Cosine from the base lr to eta_min over T_max epochs (and back up, period 2 T_max)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer, last_epoch)

    def _make(self, out: Any, opt: Any) -> Any:
        return lib.snn_lr_scheduler_cosine(out, opt, self.T_max, self.eta_min)

    def _config(self) -> dict[str, Any]:
        return dict(T_max=self.T_max, eta_min=self.eta_min)

    def _config_state(self) -> dict[str, Any]:
        return dict(T_max=self.T_max, eta_min=self.eta_min)


class LinearLR(LRScheduler):
    """Linear warm-up (or decay) of the lr factor from start_factor to end_factor over total_iters."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor, self.end_factor, self.total_iters = float(start_factor), float(end_factor), int(total_iters)
        super().__init__(optimizer, last_epoch)

    def _make(self, out: Any, opt: Any) -> Any:
        return lib.snn_lr_scheduler_linear(out, opt, self.start_factor, self.end_factor, self.total_iters)

    def _config(self) -> dict[str, Any]:
        return dict(start_factor=self.start_factor, end_factor=self.end_factor, total_iters=self.total_iters)

    def _config_state(self) -> dict[str, Any]:
        return dict(start_factor=self.start_factor, end_factor=self.end_factor, total_iters=self.total_iters)


# Entries of the engine's state that are whole numbers, or one number (the rest: one per group).
_COUNTERS = ("last_epoch", "num_bad_epochs", "cooldown_counter")


def _same(a: Any, b: Any) -> bool:
    """Equal as saved values: lists and tuples alike, NaN equal to NaN."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return bool(a == b)


def _rates_and_momenta(optimizer: Optimizer) -> list[tuple[float, Any]]:
    """Each group's lr and, where the engine keeps one, its momentum or betas."""
    key = optimizer._momentum_key
    return [(g["lr"], g[key] if key is not None else None) for g in optimizer.param_groups]


def _restored(cls: Any, optimizer: Optimizer, config: dict[str, Any], state: dict[str, Any],
              groups: list[tuple[float, Any]]) -> LRScheduler:
    """A scheduler of `cls` over `optimizer` built with `config`, given `state`, then the
    optimizer's rates and momenta `groups` restored (construction may have changed them)."""
    sched = cls(optimizer, **config)
    sched.load_state_dict(state)
    for group, (lr, momentum) in zip(optimizer.param_groups, groups):
        group["lr"] = lr
        if momentum is not None and optimizer._momentum_key is not None:
            group[optimizer._momentum_key] = momentum
    result: LRScheduler = sched
    return result


# The engine schedulers that take callables, a metric or per-group arguments: lr_scheduler_host.py.
from .lr_scheduler_host import ExponentialLR, LambdaLR, MultiplicativeLR, OneCycleLR, ReduceLROnPlateau  # noqa: E402

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR", "LambdaLR", "MultiplicativeLR",
           "ExponentialLR", "OneCycleLR", "ReduceLROnPlateau"]
