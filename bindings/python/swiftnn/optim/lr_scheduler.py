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

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self._h = None
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if last_epoch != -1:
            raise NotImplementedError("swiftnn: resuming a scheduler (last_epoch != -1) is not supported")
        self.optimizer = optimizer
        # PyTorch's rule, which the engine follows too: the first scheduler fixes initial_lr.
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
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

    def state_dict(self) -> dict[str, Any]:
        """Not supported yet: always NotImplementedError."""
        raise NotImplementedError("swiftnn: scheduler state_dict is not supported yet")

    # copy.copy shares the engine scheduler (a second handle). deepcopy and pickle, as
    # PyTorch's, copy the optimizer too; the engine's schedule state is rebuilt by replaying the
    # epochs from the initial learning rates, then the current rates are restored (so a rate
    # the user set by hand is kept too).
    def __copy__(self):
        from ..copying import shallow_copy_with_ref
        return shallow_copy_with_ref(self, lib.snn_lr_scheduler_ref)

    def __deepcopy__(self, memo):
        import copy
        new = _replayed(type(self), copy.deepcopy(self.optimizer, memo), self._config(), self.last_epoch,
                        [g["lr"] for g in self.optimizer.param_groups])
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        return _replayed, (type(self), self.optimizer, self._config(), self.last_epoch,
                           [g["lr"] for g in self.optimizer.param_groups])

    def _config(self):
        """Constructor arguments beyond the optimizer (each scheduler names its own)."""
        raise NotImplementedError

    def __del__(self):
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

    def _make(self, out, opt):
        return lib.snn_lr_scheduler_step_lr(out, opt, self.step_size, self.gamma)

    def _config(self):
        return dict(step_size=self.step_size, gamma=self.gamma)


class MultiStepLR(LRScheduler):
    """lr *= gamma at each milestone (gamma^k at a milestone listed k times)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones, self.gamma = collections.Counter(int(m) for m in milestones), float(gamma)
        super().__init__(optimizer, last_epoch)

    def _make(self, out, opt):
        ms = list(self.milestones.elements())
        arr = (ctypes.c_int64 * max(len(ms), 1))(*ms)
        return lib.snn_lr_scheduler_multi_step_lr(out, opt, arr, len(ms), self.gamma)

    def _config(self):
        return dict(milestones=list(self.milestones.elements()), gamma=self.gamma)


class CosineAnnealingLR(LRScheduler):
    """Cosine from the base lr to eta_min over T_max epochs (and back up, period 2 T_max)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer, last_epoch)

    def _make(self, out, opt):
        return lib.snn_lr_scheduler_cosine(out, opt, self.T_max, self.eta_min)

    def _config(self):
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

    def _make(self, out, opt):
        return lib.snn_lr_scheduler_linear(out, opt, self.start_factor, self.end_factor, self.total_iters)

    def _config(self):
        return dict(start_factor=self.start_factor, end_factor=self.end_factor, total_iters=self.total_iters)


def _replayed(cls, optimizer, config, last_epoch, lrs):
    """A scheduler of `cls` over `optimizer` at `last_epoch`: built from the groups' initial
    rates and stepped there (the engine's schedule state), then the rates `lrs` restored."""
    for group in optimizer.param_groups:
        group["lr"] = group.get("initial_lr", group["lr"])
    sched = cls(optimizer, **config)
    for _ in range(last_epoch):
        sched.step()
    for group, lr in zip(optimizer.param_groups, lrs):
        group["lr"] = lr
    return sched


# The engine schedulers that take callables, a metric or per-group arguments: lr_scheduler_host.py.
from .lr_scheduler_host import ExponentialLR, LambdaLR, MultiplicativeLR, OneCycleLR, ReduceLROnPlateau  # noqa: E402

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR", "LambdaLR", "MultiplicativeLR",
           "ExponentialLR", "OneCycleLR", "ReduceLROnPlateau"]
