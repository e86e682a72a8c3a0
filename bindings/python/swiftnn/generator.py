"""torch.Generator for the places that take `generator=`: samplers, random_split, rand,
randn and nn.init. A generator is a seed, a count of the permutations drawn from it
(permutation k is the engine's shuffle order for (seed, epoch=k), snn_data_shuffle_order in
swiftnn/data.h) and an offset into the seed's Philox stream for rand/randn
(snn_tensor_rand_from in swiftnn/tensor.h: a fresh generator seeded s draws what the global
generator draws after manual_seed(s)), so a seeded generator gives the same numbers in every
language and on every machine."""
from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from ._lib import check, lib

if TYPE_CHECKING:
    from .tensor import Tensor


class Generator:
    """A seedable source of permutations and random tensors, as torch.Generator(device="cpu")."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"Generator: SwiftNN runs on the CPU; got device={device!r}")
        self._seed = 67280421310721  # PyTorch's default_generator seed before any manual_seed
        self._draws = 0
        self._offset = 0  # Philox blocks used by rand/randn

    def manual_seed(self, seed: int) -> Generator:
        """Sets the seed (any integer; reduced modulo 2**64) and restarts the sequence."""
        self._seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self._draws = 0
        self._offset = 0
        return self

    def initial_seed(self) -> int:
        """The seed set last (manual_seed or seed), as torch.Generator.initial_seed."""
        return self._seed

    def seed(self) -> int:
        """A fresh nondeterministic seed, as torch.Generator.seed()."""
        import os
        self.manual_seed(int.from_bytes(os.urandom(8), "little"))
        return self._seed

    def get_state(self) -> tuple[int, int, int]:
        """The state as a tuple (seed, draws, offset); set_state restores it."""
        return (self._seed, self._draws, self._offset)

    def set_state(self, state: tuple[int, ...]) -> None:
        """Restores a state returned by get_state()."""
        self._seed, self._draws = int(state[0]), int(state[1])
        self._offset = int(state[2]) if len(state) > 2 else 0

    def _permutation(self, n: int) -> list[int]:
        """The next permutation of range(n), as a list of ints."""
        from .tensor import _wrap_new
        h = ctypes.c_void_p()
        check(lib.snn_data_shuffle_order(ctypes.byref(h), int(n), self._seed, self._draws & 0xFFFFFFFFFFFFFFFF))
        self._draws += 1
        perm: list[int] = _wrap_new(h.value).tolist()
        return perm

    def _random(self, fn: Callable[..., int], size: Sequence[int]) -> Tensor:
        """rand (fn = snn_tensor_rand_from) or randn from this generator's stream."""
        from .tensor import _wrap_new
        from ._lib import shape_array
        shape, n = shape_array(size)
        offset = ctypes.c_uint64(self._offset)
        h = ctypes.c_void_p()
        check(fn(ctypes.byref(h), shape, n, ctypes.c_uint64(self._seed), ctypes.byref(offset)))
        self._offset = offset.value
        return _wrap_new(h.value)

    def __repr__(self) -> str:
        return f"swiftnn.Generator(seed={self._seed}, draws={self._draws}, offset={self._offset})"


def _seed_from_global() -> int:
    """A seed drawn from the engine's global generator (so swiftnn.manual_seed fixes it), for
    samplers given no generator: PyTorch draws one from its default generator the same way."""
    from .tensor import rand
    a, b = (int(v * (1 << 24)) for v in rand(2).tolist())
    return (a << 24) | b


def randperm(n: int, generator: Optional[Generator] = None) -> Tensor:
    """torch.randperm: a random permutation of 0..n-1 as an int64 tensor."""
    from .tensor import _wrap_new
    if generator is None:
        generator = Generator().manual_seed(_seed_from_global())
    h = ctypes.c_void_p()
    check(lib.snn_data_shuffle_order(ctypes.byref(h), int(n), generator._seed, generator._draws & 0xFFFFFFFFFFFFFFFF))
    generator._draws += 1
    return _wrap_new(h.value)
