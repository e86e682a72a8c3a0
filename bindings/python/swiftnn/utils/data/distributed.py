"""torch.utils.data.distributed.DistributedSampler: each rank's share of every epoch, in the
order PyTorch gives for the same seed and epoch (the engine computes it:
snn_dist_sampler_indices in swiftnn/distributed.h), so C, Python and PyTorch agree."""
from __future__ import annotations

import ctypes
import numbers
from typing import Iterator, Optional, Sized, cast

from ..._lib import check, lib
from .dataset import Dataset
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _int(v: object, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"DistributedSampler: {name} must be an int, got {type(v).__name__}")
    return int(v)


class DistributedSampler(Sampler[int]):
    """torch.utils.data.DistributedSampler: each rank's shard of the dataset's indices, the
    same order as PyTorch's for a given seed and epoch (a seeded permutation when shuffling,
    padded to a multiple of the world size unless drop_last, then every num_replicas-th index
    from rank). Call set_epoch(epoch) before each epoch to reshuffle."""

    dataset: Dataset[object]

    def __init__(self, dataset: Dataset[object], num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        from ... import distributed as dist
        if num_replicas is None:
            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size()
        if rank is None:
            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available")
            rank = dist.get_rank()
        num_replicas, rank = _int(num_replicas, "num_replicas"), _int(rank, "rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = bool(shuffle), _int(seed, "seed"), bool(drop_last)
        self.epoch = 0
        n = len(cast(Sized, dataset))
        if self.drop_last and n % num_replicas != 0:
            self.num_samples = -(-(n - num_replicas) // num_replicas)
        else:
            self.num_samples = -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(cast(Sized, self.dataset))
        out = (ctypes.c_int64 * max(self.num_samples, 1))()
        count = ctypes.c_size_t()
        check(lib.snn_dist_sampler_indices(out, self.num_samples, ctypes.byref(count), n, self.num_replicas, self.rank,
                                           self.shuffle, self.seed % (1 << 64), self.epoch, self.drop_last))
        return iter([int(i) for i in out[:count.value]])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order the next iteration gives (call it before each epoch)."""
        self.epoch = _int(epoch, "epoch")
