"""Real data: IDX files (MNIST's format, raw or gzipped), MNIST-style folders, and a DataLoader
that batches (images, labels) with a seeded shuffle, the same order as from C and Swift.

    images, labels = swiftnn.data.load_mnist("data/mnist", train=True)   # make data
    loader = swiftnn.data.DataLoader(images, labels, batch_size=64, shuffle=True, seed=0)
    for epoch in range(3):
        for x, y in loader:          # x [64, 1, 28, 28] float32, y [64] int64
            ...

Fashion-MNIST (Debian's dataset-fashion-mnist) loads the same way from
/usr/share/datasets/fashion-mnist. The shuffle rule is in swiftnn/data.h.
"""
from __future__ import annotations

import ctypes
import numbers
import os
from typing import Any, Iterator, NoReturn, Optional, Sequence, Union

from ._lib import check, lib
from .tensor import Tensor, _as_tensor, _new, _wrap_new, div, sub

__all__ = ["load_idx", "load_mnist", "DataLoader", "FASHION_MNIST_DIR", "MNIST_MEAN", "MNIST_STD"]

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
# The usual normalisation constants of the MNIST training set.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def _path(p: Union[str, os.PathLike[str]]) -> bytes:
    return os.fsencode(os.fspath(p))


def load_idx(path: Union[str, os.PathLike[str]]) -> Tensor:
    """One IDX file, raw or gzipped: uint8 images [N, H, W] -> float32 [N, 1, H, W] / 255,
    integer labels [N] -> int64 [N], other data -> float32 of its shape."""
    return _new(lib.snn_idx_load, _path(path))


def load_mnist(root: Union[str, os.PathLike[str]], train: bool = True,
               normalize: Optional[Sequence[float]] = None) -> tuple[Tensor, Tensor]:
    """(images, labels) of the training (60k) or test (10k) split in the folder `root`, which
    holds train-images-idx3-ubyte[.gz] etc. (MNIST or Fashion-MNIST). images: float32
    [N, 1, 28, 28] in [0, 1]; labels: int64 [N]. normalize=(mean, std) returns
    (images - mean) / std, e.g. normalize=(MNIST_MEAN, MNIST_STD)."""
    if normalize is not None:
        mean, std = (float(v) for v in normalize)
        if not std > 0:
            raise ValueError(f"load_mnist: normalize std must be > 0, got {std}")
    a, b = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib.snn_mnist_load(ctypes.byref(a), ctypes.byref(b), _path(root), bool(train)))
    images, labels = _wrap_new(a.value), _wrap_new(b.value)
    if normalize is not None:
        images = div(sub(images, mean), std)
    return images, labels


class DataLoader:
    """Batches of (images[i], labels[i]) for i in a per-epoch order, as torch's DataLoader over
    a TensorDataset. Each `for x, y in loader` runs one epoch; a new loop starts the next epoch
    (a new order when shuffle=True), as does breaking out and looping again. The order of
    epoch e depends only on (seed, e, N): set_epoch(e) replays it."""

    _h: Optional[int]
    _fresh: bool
    batch_size: int
    shuffle: bool
    seed: int
    drop_last: bool

    def __init__(self, images: Tensor, labels: Tensor, batch_size: int = 64, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or not 1 <= batch_size < 2 ** 63:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
        images, labels = _as_tensor(images), _as_tensor(labels)
        self.batch_size, self.shuffle, self.seed, self.drop_last = int(batch_size), bool(shuffle), int(seed), bool(drop_last)
        h = ctypes.c_void_p()
        check(lib.snn_dataloader_new(ctypes.byref(h), images._h, labels._h, self.batch_size, self.shuffle,
                                     self.seed & 0xFFFFFFFFFFFFFFFF, self.drop_last))
        self._h = h.value
        self._fresh = True

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h and lib is not None:
            try:
                lib.snn_dataloader_free(h)
            except Exception:  # interpreter shutdown
                pass
            self._h = None

    # copy.copy shares the engine loader (a second handle: the same epoch position); its
    # iteration state cannot be read, so deep copies and pickles are refused.
    def __copy__(self) -> DataLoader:
        from .copying import shallow_copy_with_ref
        return shallow_copy_with_ref(self, lib.snn_dataloader_ref)

    def __deepcopy__(self, memo: Any) -> NoReturn:
        from .copying import refuse
        raise refuse(self, "deep-copied", "its iteration state lives in the engine; build a new DataLoader")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        from .copying import refuse
        raise refuse(self, "pickled", "its iteration state lives in the engine; build a new DataLoader")

    def __len__(self) -> int:
        n = ctypes.c_size_t()
        check(lib.snn_dataloader_len(ctypes.byref(n), self._h))
        return n.value

    @property
    def epoch(self) -> int:
        """The epoch being iterated (or last iterated)."""
        e = ctypes.c_uint64()
        check(lib.snn_dataloader_epoch(ctypes.byref(e), self._h))
        return e.value

    def set_epoch(self, epoch: int) -> None:
        """The next loop runs epoch `epoch` from its start."""
        check(lib.snn_dataloader_set_epoch(self._h, int(epoch) & 0xFFFFFFFFFFFFFFFF))
        self._fresh = True

    def shard(self, num_replicas: int, rank: int) -> None:
        """From now on each epoch gives only rank `rank`'s DistributedSampler share (in
        PyTorch's order for this loader's seed and the epoch); batch_size stays per rank.
        fit_classifier with a DistributedDataParallel model does this itself."""
        check(lib.snn_dataloader_shard(self._h, int(num_replicas), int(rank)))
        self._fresh = True

    def reset(self) -> None:
        """Back to epoch 0, as just after construction."""
        check(lib.snn_dataloader_reset(self._h))
        self._fresh = True

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        if not self._fresh:
            self.set_epoch(self.epoch + 1)
        self._fresh = False
        return self._batches()

    def _batches(self) -> Iterator[tuple[Tensor, Tensor]]:
        x, y, has = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_bool()
        while True:
            check(lib.snn_dataloader_next(ctypes.byref(x), ctypes.byref(y), ctypes.byref(has), self._h))
            if not has.value:
                return
            yield _wrap_new(x.value), _wrap_new(y.value)

    def __repr__(self) -> str:
        return (f"swiftnn.data.DataLoader(batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last}, batches={len(self)})")
