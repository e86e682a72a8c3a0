"""The engine's training loop from Python: fit_classifier (progress callback with epoch, step,
loss, images/s and ETA) and evaluate_classifier. Write your own loop as in PyTorch if you
prefer; this one runs entirely in the engine."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from .tensor import Tensor

import ctypes

from ._ffi import snn_fit_options, snn_progress_fn
from ._lib import check, lib
from ._options import options


def _run_fit(call: Callable[[Any], int], steps: int, epochs: int, report_every: int, scheduler: Any,
             progress: Optional[Callable[[Any], Any]], ddp: Any = None) -> list[float]:
    """Runs an engine fit export: `call(options_pointer)` with snn_fit_options built from the
    arguments. progress(p) gets the snn_progress fields; returning False stops training, and an
    exception it raises is re-raised here after the engine has returned (it must not unwind
    through the engine). Returns the per-step losses."""
    hist = (ctypes.c_double * max(int(steps), 1))()
    count = ctypes.c_size_t()
    errors: list[BaseException] = []

    def trampoline(p: Any, _user: Any) -> bool:
        try:
            assert progress is not None  # the trampoline is installed only with a progress
            r = progress(p.contents)
            return True if r is None else bool(r)
        except BaseException as e:
            errors.append(e)
            return False

    cb = snn_progress_fn(trampoline) if progress else snn_progress_fn()
    opts = options(snn_fit_options, epochs=int(epochs), report_every=int(report_every), progress=cb,
                   scheduler=scheduler._h if scheduler is not None else None, loss_history=hist,
                   loss_history_capacity=len(hist), loss_history_count=ctypes.pointer(count), ddp=ddp)
    check(call(ctypes.byref(opts)))
    if errors:
        raise errors[0]
    return list(hist[: min(count.value, len(hist))])


def fit_classifier(model: Any, optimizer: Any, loader: Any, epochs: int = 1, scheduler: Any = None,
                   report_every: int = 50, progress: Optional[Callable[[Any], Any]] = None) -> list[float]:
    """Trains `model` (an engine module, e.g. nn.Sequential of built-in layers) with mean
    cross-entropy. progress(p) gets an object with epoch, epochs, step, steps_per_epoch,
    global_step, loss, samples_per_second, elapsed_seconds, eta_seconds, learning_rate,
    end_of_epoch; return False to stop. Returns the list of per-step losses.

    A DistributedDataParallel model (over an engine module) trains data-parallel: the loader
    is sharded (each rank its DistributedSampler share, batch_size per rank), progress runs on
    rank 0 with the global samples/s and the ranks' mean loss."""
    ddp = None
    from .nn.parallel import DistributedDataParallel
    if isinstance(model, DistributedDataParallel):
        ddp, model = model._ddp.value, model.module
    return _run_fit(lambda opts: lib.snn_classifier_fit(model._mh, optimizer._h, loader._h, opts),
                    len(loader) * epochs, epochs, report_every, scheduler, progress, ddp)


def evaluate_classifier(model: Any, inputs: Tensor, labels: Tensor, batch_size: int = 256) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in eval mode without recording."""
    loss, acc = ctypes.c_double(), ctypes.c_double()
    check(lib.snn_classifier_evaluate(ctypes.byref(loss), ctypes.byref(acc), model._mh, inputs._h, labels._h, batch_size))
    return loss.value, acc.value
