"""torch.utils.data.DataLoader: batches from a dataset through a sampler and a collate
function, in this process or in worker processes.

Workers are forked processes (as PyTorch's default on Linux). Each one first recreates the
engine's threads with one thread (a forked child has none: see docs/storage-model.md), seeds
the global generator with base_seed + worker_id, runs worker_init_fn, then turns lists of
indices into collated batches. Batches cross the process boundary as numpy arrays and come
back as tensors, in the sampler's order whatever order the workers finish in."""
from __future__ import annotations

import numbers
import queue
import traceback
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, NoReturn, Optional, Sized, TypeVar, Union, cast

import numpy as np

from ...generator import Generator, _seed_from_global
from .dataset import Dataset, IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

if TYPE_CHECKING:
    import multiprocessing.process
    import multiprocessing.queues

T_co = TypeVar("T_co", covariant=True)

_worker_info: Optional[WorkerInfo] = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: Dataset[Any]

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Dataset[Any]) -> None:  # noqa: A002 (PyTorch's name)
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info() -> Optional[WorkerInfo]:
    """In a worker process, its WorkerInfo; in the main process, None."""
    return _worker_info


def default_collate(batch: Any) -> Any:
    """Stacks samples as PyTorch's default_collate: tensors and numpy arrays stack along a new
    first dimension, Python floats become float64, ints int64, bools bool, strings stay a
    list, and mappings, tuples and lists are collated element by element."""
    import swiftnn
    elem = batch[0]
    if isinstance(elem, swiftnn.Tensor):
        return swiftnn.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {elem.dtype}")
        return swiftnn.stack([swiftnn.from_numpy(np.ascontiguousarray(b)) for b in batch], 0)
    if isinstance(elem, np.generic):
        return swiftnn.from_numpy(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return swiftnn.tensor(list(batch), dtype=swiftnn.bool)
    if isinstance(elem, numbers.Integral):
        return swiftnn.tensor(list(batch), dtype=swiftnn.int64)
    if isinstance(elem, numbers.Real):
        return swiftnn.tensor(list(batch), dtype=swiftnn.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        out = [default_collate(list(s)) for s in zip(*batch)]
        return tuple(out) if isinstance(elem, tuple) else out
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem)}")


class DataLoader(Generic[T_co]):
    """Batches of `dataset` (map-style or iterable), as torch.utils.data.DataLoader.

    batch_size=None turns automatic batching off (each sample is passed through collate_fn
    alone). shuffle=True draws a RandomSampler (seeded by `generator`, or by the global
    generator each epoch); sampler and batch_sampler replace that choice. num_workers > 0
    forks that many worker processes per epoch, keeping prefetch_factor batches per worker
    in flight. pin_memory, persistent_workers, timeout and in_order are accepted for
    compatibility (there is no accelerator; batches always arrive in order)."""

    dataset: Dataset[T_co]
    batch_size: Optional[int]
    drop_last: bool
    num_workers: int
    prefetch_factor: Optional[int]
    timeout: float
    sampler: Union[Sampler[Any], Iterable[Any], None]
    batch_sampler: Union[Sampler[list[Any]], Iterable[list[Any]], None]
    collate_fn: Callable[[Any], Any]
    worker_init_fn: Optional[Callable[[int], None]]
    generator: Optional[Generator]
    pin_memory: bool
    persistent_workers: bool
    _iterable: bool
    _auto_collation: bool

    def __init__(self, dataset: Dataset[T_co], batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Union[Sampler[Any], Iterable[Any], None] = None,
                 batch_sampler: Union[Sampler[list[Any]], Iterable[list[Any]], None] = None, num_workers: int = 0,
                 collate_fn: Optional[Callable[[list[T_co]], Any]] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable[[int], None]] = None,
                 multiprocessing_context: Any = None, generator: Optional[Generator] = None, *,
                 prefetch_factor: Optional[int] = None, persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        self.dataset, self.num_workers = dataset, int(num_workers)
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.worker_init_fn, self.generator, self.timeout = worker_init_fn, generator, timeout
        self.pin_memory, self.persistent_workers = pin_memory, persistent_workers
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler options")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if sampler is None and not self._iterable:
            sized = cast(Sized, dataset)  # a map-style dataset has a length (as PyTorch assumes)
            sampler = RandomSampler(sized, generator=generator) if shuffle else SequentialSampler(sized)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.batch_size, self.drop_last = batch_size, bool(drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        self.collate_fn = collate_fn if collate_fn is not None else (default_collate if self._auto_collation else _identity)

    def __len__(self) -> int:
        if self._iterable:
            n = len(cast(Sized, self.dataset))  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(cast(Sized, self.batch_sampler if self.batch_sampler is not None else self.sampler))

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return self._single_process()
        return _multi_process(self)

    # -- one process ---------------------------------------------------------------------

    def _fetch(self, indices: Any) -> Any:
        """The collated batch for a list of indices (or one sample without auto-collation)."""
        if not self._auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.collate_fn is default_collate and type(self.dataset) is TensorDataset:
            # One gather per tensor instead of len(indices) selects and a stack.
            import swiftnn
            idx = swiftnn.tensor(list(indices), dtype=swiftnn.int64)
            return tuple(t.index_select(0, idx) for t in self.dataset.tensors)
        return self.collate_fn([self.dataset[i] for i in indices])

    def _single_process(self) -> Iterator[Any]:
        if self._iterable:
            yield from _iterable_batches(cast("IterableDataset[Any]", self.dataset), self.batch_size, self.drop_last, self.collate_fn,
                                         self._auto_collation)
            return
        for indices in _indices(self):
            yield self._fetch(indices)

    def __repr__(self) -> str:
        return (f"swiftnn.utils.data.DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"num_workers={self.num_workers}, drop_last={self.drop_last})")


def _identity(x: Any) -> Any:
    return x


def _indices(loader: DataLoader[Any]) -> Iterable[Any]:
    """What a map-style loader iterates: its batch sampler's lists of indices, or without
    automatic batching its sampler's indices (the constructor sets one of them)."""
    return cast(Iterable[Any], loader.batch_sampler if loader.batch_sampler is not None else loader.sampler)


def _iterable_batches(dataset: IterableDataset[Any], batch_size: Optional[int], drop_last: bool,
                      collate_fn: Callable[[Any], Any], auto: bool) -> Iterator[Any]:
    if not auto:
        for sample in dataset:
            yield collate_fn(sample)
        return
    batch: list[Any] = []
    for sample in dataset:
        batch.append(sample)
        if len(batch) == batch_size:
            yield collate_fn(batch)
            batch = []
    if batch and not drop_last:
        yield collate_fn(batch)


# ---- worker processes ----------------------------------------------------------------------

def _pack(x: Any) -> Any:
    """A batch made picklable: tensors become ("__swiftnn_tensor__", numpy array)."""
    import swiftnn
    if isinstance(x, swiftnn.Tensor):
        return ("__swiftnn_tensor__", np.array(x.detach().contiguous().numpy()))
    if isinstance(x, Mapping):
        return {k: _pack(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_pack(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_pack(v) for v in x)
    return x


def _unpack(x: Any) -> Any:
    import swiftnn
    if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) and x[0] == "__swiftnn_tensor__":
        return swiftnn.from_numpy(x[1])
    if isinstance(x, Mapping):
        return {k: _unpack(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_unpack(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_unpack(v) for v in x)
    return x


class _WorkerError:
    def __init__(self, worker_id: int, exc: BaseException) -> None:
        self.worker_id, self.type_name = worker_id, type(exc).__name__
        self.text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _worker_loop(loader: DataLoader[Any], worker_id: int, base_seed: int,
                 tasks: multiprocessing.queues.Queue[Optional[tuple[int, Any]]],
                 results: multiprocessing.queues.Queue[tuple[int, Optional[int], Any]]) -> None:
    global _worker_info
    import swiftnn
    try:
        swiftnn.set_num_threads(1)  # the fork has no engine threads until this call
        swiftnn.manual_seed(base_seed + worker_id)
        _worker_info = WorkerInfo(worker_id, loader.num_workers, base_seed + worker_id, loader.dataset)
        if loader.worker_init_fn is not None:
            loader.worker_init_fn(worker_id)
        if loader._iterable:
            for seq, batch in enumerate(_iterable_batches(cast("IterableDataset[Any]", loader.dataset), loader.batch_size, loader.drop_last,
                                                          loader.collate_fn, loader._auto_collation)):
                results.put((worker_id, seq, _pack(batch)))
            results.put((worker_id, None, None))
            return
        while True:
            task = tasks.get()
            if task is None:
                return
            seq, indices = task
            try:
                results.put((worker_id, seq, _pack(loader._fetch(indices))))
            except Exception as e:  # noqa: BLE001 (re-raised in the main process)
                results.put((worker_id, seq, _WorkerError(worker_id, e)))
    except Exception as e:  # noqa: BLE001
        results.put((worker_id, -1, _WorkerError(worker_id, e)))


def _raise(err: _WorkerError) -> NoReturn:
    raise RuntimeError(f"Caught {err.type_name} in DataLoader worker process {err.worker_id}.\n"
                       f"Original {err.text}")


def _multi_process(loader: DataLoader[Any]) -> Iterator[Any]:
    """Batch k is computed by worker k mod n, and each worker answers in the order it was
    asked, so reading the workers' result queues round-robin yields the sampler's order
    (and, for an iterable dataset, interleaves the workers' streams as PyTorch does)."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    base_seed = _seed_from_global()
    n = loader.num_workers
    tasks: list[multiprocessing.queues.Queue[Optional[tuple[int, Any]]]] = [ctx.Queue() for _ in range(n)]
    results: list[multiprocessing.queues.Queue[tuple[int, Optional[int], Any]]] = [ctx.Queue() for _ in range(n)]
    workers = [ctx.Process(target=_worker_loop, args=(loader, w, base_seed, tasks[w], results[w]), daemon=True)
               for w in range(n)]
    for p in workers:
        p.start()
    timeout = loader.timeout if loader.timeout and loader.timeout > 0 else None

    def get(w: int) -> tuple[Optional[int], Any]:
        """The next result of worker w, noticing a worker that died instead of waiting forever."""
        while True:
            try:
                _, seq, batch = results[w].get(timeout=timeout or 1.0)
            except queue.Empty:
                if timeout:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
                if not workers[w].is_alive():
                    raise RuntimeError(f"DataLoader worker (pid {workers[w].pid}) exited unexpectedly "
                                       f"with exit code {workers[w].exitcode}") from None
                continue
            if isinstance(batch, _WorkerError):
                _raise(batch)
            return seq, batch

    try:
        if loader._iterable:
            alive = list(range(n))
            while alive:
                for w in list(alive):
                    seq, batch = get(w)
                    if seq is None:
                        alive.remove(w)
                    else:
                        yield _unpack(batch)
            return
        batches = iter(_indices(loader))
        sent = received = 0

        def send() -> bool:
            nonlocal sent
            try:
                indices = next(batches)
            except StopIteration:
                return False
            tasks[sent % n].put((sent, indices))
            sent += 1
            return True

        while sent < n * cast(int, loader.prefetch_factor) and send():  # 2 unless given when num_workers > 0
            pass
        while received < sent:
            _, batch = get(received % n)
            received += 1
            send()
            yield _unpack(batch)
    finally:
        for q in tasks:
            q.put(None)
        for p in workers:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
