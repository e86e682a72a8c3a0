"""Samplers as in torch.utils.data: which indices an epoch visits, and how they batch."""
from __future__ import annotations

import numbers
from typing import Generic, Iterable, Iterator, Optional, Sequence, Sized, TypeVar, Union, cast

from ...generator import Generator, _seed_from_global

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Iterates over dataset indices."""

    def __init__(self, data_source: Optional[Sized] = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    data_source: Sized

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A new permutation every epoch (or draws with replacement). Without a generator each
    epoch's seed comes from the global generator, so swiftnn.manual_seed makes it repeatable."""

    data_source: Sized
    replacement: bool

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: Optional[int] = None,
                 generator: Optional[Generator] = None) -> None:
        self.data_source, self.replacement, self.generator = data_source, bool(replacement), generator
        self._num_samples = num_samples
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral)
                                        or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields (len(data_source) unless num_samples was given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        gen = self.generator if self.generator is not None else Generator().manual_seed(_seed_from_global())
        if self.replacement:
            # Each draw is the first element of a fresh permutation: uniform over range(n).
            for _ in range(self.num_samples):
                yield gen._permutation(n)[0]
            return
        remaining = self.num_samples
        while remaining > 0:
            for i in gen._permutation(n)[:remaining]:
                yield i
            remaining -= n

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order each epoch."""

    indices: list[int]

    def __init__(self, indices: Sequence[int], generator: Optional[Generator] = None) -> None:
        self.indices, self.generator = list(indices), generator

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else Generator().manual_seed(_seed_from_global())
        return iter([self.indices[i] for i in gen._permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler[list[int]]):
    """Groups another sampler's indices into lists of batch_size (the last one shorter unless
    drop_last)."""

    sampler: Union[Sampler[int], Iterable[int]]
    batch_size: int
    drop_last: bool

    def __init__(self, sampler: Union[Sampler[int], Iterable[int]], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(cast(Sized, self.sampler))  # a sized sampler, as PyTorch assumes
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size
