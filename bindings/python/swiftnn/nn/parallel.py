"""torch.nn.parallel.DistributedDataParallel over the engine's data-parallel reducer
(swiftnn/distributed.h): rank 0's parameters and buffers copied to every rank at
construction (after checking that every rank's model has the same names and shapes), and
each backward averages the gradients across ranks in buckets whose allreduce starts while
backward still runs, so loss.backward() returns with averaged gradients."""
from __future__ import annotations

import contextlib
import ctypes
import numbers
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence, cast

from .. import _ffi
from .._handles import Handle
from .._lib import check, lib
from .._options import options
from .modules import EngineModule, Module

if TYPE_CHECKING:
    from ..dtypes import dtype
    from ..tensor import Tensor

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]


class DistributedDataParallel(Module):
    """Wraps `module` (any swiftnn.nn.Module); forward calls it. bucket_cap_mb (default 25)
    sizes the gradient buckets. deterministic=True (SwiftNN's, keyword only) sums each bucket
    in rank order instead of MPI's allreduce: every rank and every run get bit-for-bit the same
    gradients (snn_ddp_options.deterministic in swiftnn/distributed.h). The other arguments of PyTorch's are accepted where their
    meaning holds on CPU (device_ids and output_device must be None)."""

    module: Module  # declared for type checkers (set in __init__)
    _ddp: Handle

    def __init__(self, module: Module, device_ids: Optional[Sequence[int]] = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: Optional[float] = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 *, deterministic: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a swiftnn.nn.Module, got {type(module).__name__}")
        if device_ids not in (None, []) or output_device is not None:
            raise ValueError("DistributedDataParallel: device_ids and output_device are for GPUs; SwiftNN runs on the CPU")
        cap = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(cap, bool) or not isinstance(cap, numbers.Real) or not cap > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        self.module = module
        named: list[tuple[str, Tensor]] = []
        seen: set[int] = set()
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if id(t) not in seen:
                seen.add(id(t))
                named.append((name, t))
        handles = (ctypes.c_void_p * max(len(named), 1))(*[t._h for _, t in named])
        names = (ctypes.c_char_p * max(len(named), 1))(*[n.encode() for n, _ in named])
        o = options(_ffi.snn_ddp_options, bucket_cap_mb=float(cap), deterministic=bool(deterministic))
        out = ctypes.c_void_p()
        if getattr(module, "_engine", None) is not None:  # an engine module: the engine's fit loops accept it
            check(lib.snn_ddp_new(ctypes.byref(out), module._mh, ctypes.byref(o)))
        else:
            check(lib.snn_ddp_new_tensors(ctypes.byref(out), handles, names, len(named), ctypes.byref(o)))
        object.__setattr__(self, "_ddp", Handle(out.value, lib.snn_ddp_free))
        object.__setattr__(self, "_tensors", [t for _, t in named])  # kept alive with the reducer

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside only accumulate local gradients; the first backward after it
        averages the accumulated sum across ranks."""
        check(lib.snn_ddp_set_require_sync(self._ddp.value, False))
        try:
            yield
        finally:
            check(lib.snn_ddp_set_require_sync(self._ddp.value, True))

    def _bucket_sizes(self) -> list[int]:
        """Bytes of each gradient bucket, in launch order."""
        n = ctypes.c_size_t()
        check(lib.snn_ddp_buckets(ctypes.byref(n), None, 0, self._ddp.value))
        sizes = (ctypes.c_int64 * max(n.value, 1))()
        check(lib.snn_ddp_buckets(ctypes.byref(n), sizes, n.value, self._ddp.value))
        return list(sizes[:n.value])

    def _last_trace(self) -> dict[str, Any]:
        """Seconds of the last step: allreduce total, the part hidden behind backward, and the
        wait after backward."""
        t = _ffi.snn_ddp_trace()
        check(lib.snn_ddp_last_trace(ctypes.byref(t), self._ddp.value))
        return {"allreduce": t.allreduce_seconds, "hidden": t.hidden_seconds, "exposed_wait": t.exposed_wait_seconds,
                "buckets": t.buckets}


def _set_sync_batchnorm(module: Module, on: bool) -> Module:
    from .layers import BatchNorm2d
    for m in module.modules():
        if isinstance(m, BatchNorm2d):
            check(lib.snn_module_set_sync_batchnorm(m._mh, bool(on)))
    return module


class SyncBatchNorm(EngineModule):
    """torch.nn.SyncBatchNorm: batch normalisation over C of an input [N, C, *] whose training
    statistics are those of the global batch (every rank's input) once init_process_group has
    made a group of several ranks; before it, on one rank and in eval mode it is BatchNorm over
    this process's batch (PyTorch falls back the same way). The engine's layer
    (snn_module_sync_batch_norm). Only the default group (process_group=None).

    SyncBatchNorm.convert_sync_batchnorm(model) switches every BatchNorm layer of model in
    place instead (init_process_group first; optimizers built before keep working)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group: Any = None, device: Any = None,
                 dtype: Any = None) -> None:
        if process_group is not None:
            raise NotImplementedError("SyncBatchNorm: only the default process group (process_group=None) is supported")
        if device not in (None, "cpu") or dtype not in (None, _float32()):
            raise ValueError(f"SyncBatchNorm: device={device!r}, dtype={dtype!r}: only float32 on the CPU")
        if momentum is None:
            raise NotImplementedError("SyncBatchNorm: momentum=None (cumulative average) is not supported")
        h = ctypes.c_void_p()
        check(lib.snn_module_sync_batch_norm(ctypes.byref(h), int(num_features), float(eps), float(momentum),
                                             bool(affine), bool(track_running_stats)))
        self._bind(cast(int, h.value))  # set whenever the call succeeds

    def forward(self, input: Tensor) -> Tensor:
        """Normalises input [N, C, *] over N and the trailing dimensions, per channel."""
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        return super().forward(input)

    @staticmethod
    def convert_sync_batchnorm(module: Module, process_group: Any = None) -> Module:
        """Makes every BatchNorm layer of module synchronised in place; returns module."""
        return _set_sync_batchnorm(module, True)


def _float32() -> dtype:
    from .. import float32
    return float32
