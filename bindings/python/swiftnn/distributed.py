"""swiftnn.distributed, as torch.distributed with the MPI backend: start the script with mpirun
and each process is one rank.

    import swiftnn.distributed as dist
    dist.init_process_group(backend="mpi")      # rank and size from mpirun
    t = swiftnn.ones(4) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)    # in place, on every rank

The engine does the work (swiftnn/distributed.h): Open MPI is loaded at run time, every
collective waits at most `timeout` for the other ranks, and a script not started by mpirun
gets a one-process group. DistributedDataParallel is swiftnn.nn.parallel's; the sampler is
swiftnn.utils.data.DistributedSampler.
"""
from __future__ import annotations

import ctypes
import datetime
import enum
import numbers
from typing import Any, Optional, Union

from . import _ffi
from ._lib import check, lib
from ._options import options
from .tensor import Tensor, _wrap_new

__all__ = ["ReduceOp", "init_process_group", "is_initialized", "is_available", "is_mpi_available",
           "get_rank", "get_world_size", "get_backend", "all_reduce", "broadcast", "all_gather", "barrier",
           "destroy_process_group"]


class ReduceOp(enum.IntEnum):
    """torch.distributed.ReduceOp: SUM, or AVG (the sum divided by the world size)."""
    SUM = _ffi.SNN_REDUCE_SUM
    AVG = _ffi.SNN_REDUCE_MEAN


def is_available() -> bool:
    return True


def is_mpi_available() -> bool:
    """Whether Open MPI's library can be loaded (the engine loads it only under mpirun)."""
    try:
        ctypes.CDLL("libmpi.so.40", mode=ctypes.RTLD_GLOBAL)
        return True
    except OSError:
        return False


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None,
                       timeout: Optional[Union[datetime.timedelta, float]] = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Joins the process group. backend "mpi" (or None); rank and world size come from mpirun,
    so world_size and rank, when given, must match them. timeout (a timedelta or seconds,
    default 300 s) bounds every collective's wait for the other ranks."""
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: backend {backend!r} is not supported; SwiftNN has the 'mpi' backend")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("init_process_group: the mpi backend takes its ranks from mpirun; init_method and store are not used")
    if timeout is None:
        seconds = 300.0
    elif isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, numbers.Real) and not isinstance(timeout, bool):
        seconds = float(timeout)
    else:
        raise TypeError(f"init_process_group: timeout must be a datetime.timedelta, got {type(timeout).__name__}")
    o = options(_ffi.snn_dist_options, timeout_seconds=seconds)
    check(lib.snn_dist_init(ctypes.byref(o)))
    for name, given, actual in (("world_size", world_size, get_world_size()), ("rank", rank, get_rank())):
        if given not in (-1, None) and given != actual:
            destroy_process_group()
            raise ValueError(f"init_process_group: {name}={given} but mpirun started this process with {name} {actual}")


def is_initialized() -> bool:
    out = ctypes.c_bool()
    check(lib.snn_dist_is_initialized(ctypes.byref(out)))
    return out.value


def _require(fn: str) -> None:
    if not is_initialized():
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")


def get_rank(group: Any = None) -> int:
    _require("get_rank")
    out = ctypes.c_int64()
    check(lib.snn_dist_rank(ctypes.byref(out)))
    return out.value


def get_world_size(group: Any = None) -> int:
    _require("get_world_size")
    out = ctypes.c_int64()
    check(lib.snn_dist_size(ctypes.byref(out)))
    return out.value


def get_backend(group: Any = None) -> str:
    """"mpi", or "local" for the one-process group of a script not started by mpirun."""
    _require("get_backend")
    buf = ctypes.create_string_buffer(16)
    check(lib.snn_dist_backend(buf, len(buf)))
    return buf.value.decode()


def _tensor(t: object, fn: str, arg: str = "tensor") -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: {arg} must be a swiftnn Tensor, got {type(t).__name__}")
    return t


def _no_async(async_op: bool, fn: str) -> None:
    if async_op:
        raise NotImplementedError(f"{fn}: async_op=True is not supported; collectives return when done")


def all_reduce(tensor: Tensor, op: Union[ReduceOp, int] = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> None:
    """Replaces `tensor` on every rank by the sum (ReduceOp.SUM) or mean (ReduceOp.AVG) over ranks."""
    _no_async(async_op, "all_reduce")
    _require("all_reduce")
    try:
        op = ReduceOp(op)
    except ValueError:
        raise ValueError(f"all_reduce: op must be ReduceOp.SUM or ReduceOp.AVG, got {op!r}") from None
    check(lib.snn_dist_allreduce(_tensor(tensor, "all_reduce")._h, int(op)))


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> None:
    """Copies rank `src`'s tensor into `tensor` on every rank."""
    _no_async(async_op, "broadcast")
    _require("broadcast")
    if isinstance(src, bool) or not isinstance(src, numbers.Integral):
        raise TypeError(f"broadcast: src must be an int rank, got {type(src).__name__}")
    check(lib.snn_dist_broadcast(_tensor(tensor, "broadcast")._h, int(src)))


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False) -> None:
    """Fills tensor_list[r] with rank r's `tensor` (one tensor per rank, of tensor's shape)."""
    _no_async(async_op, "all_gather")
    _require("all_gather")
    _tensor(tensor, "all_gather")
    n = get_world_size()
    if not isinstance(tensor_list, list) or len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list must be a list of {n} tensors (the world size)")
    out = ctypes.c_void_p()
    check(lib.snn_dist_allgather(ctypes.byref(out), tensor._h))
    gathered = _wrap_new(out.value)
    for r, dst in enumerate(tensor_list):
        _tensor(dst, "all_gather", f"tensor_list[{r}]").copy_(gathered[r])


def barrier(group: Any = None, async_op: bool = False, device_ids: Optional[list[int]] = None) -> None:
    _no_async(async_op, "barrier")
    _require("barrier")
    check(lib.snn_dist_barrier())


def destroy_process_group(group: Any = None) -> None:
    """Leaves the group (MPI_Finalize, waiting for the other ranks). MPI cannot start again in
    this process."""
    check(lib.snn_dist_finalize())
