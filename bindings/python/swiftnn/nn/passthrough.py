"""Modules that only route or reshape their input (torch.nn.Identity, Softmax, LogSoftmax,
Softmin, Unflatten): Python modules over the engine's ops, with torch's constructor arguments,
so that code written for PyTorch (`model.fc = nn.Identity()` in transfer learning, a classifier
ending in nn.Softmax(dim=1)) runs unchanged."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from ..tensor import Tensor
from .modules import Module


class Identity(Module):
    """nn.Identity: returns its input; any constructor arguments are ignored, as in PyTorch.

    Example:
        >>> nn.Identity()(swiftnn.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """`input` itself (call the module itself: module(input))."""
        return input


class _AlongDim(Module):
    """A softmax-like op along `dim` (None: PyTorch's deprecated implicit choice, with its warning)."""

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        """The constructor argument shown by repr()."""
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """nn.Softmax(dim): exp(x) / sum(exp(x)) along `dim`, each slice summing to 1.

    Example:
        >>> nn.Softmax(dim=1)(swiftnn.zeros(1, 4)).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        from .functional import softmax
        return softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_AlongDim):
    """nn.LogSoftmax(dim): log(softmax(x)) along `dim`, computed stably (x - max - log sum exp)."""

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        from .functional import log_softmax
        return log_softmax(input, self.dim, _stacklevel=5)


class Softmin(_AlongDim):
    """nn.Softmin(dim): softmax(-x) along `dim`."""

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        from .functional import softmax
        return softmax(-input, self.dim, _stacklevel=5)


class Unflatten(Module):
    """nn.Unflatten(dim, unflattened_size): splits dimension `dim` into `unflattened_size` (one
    entry may be -1), the inverse of nn.Flatten.

    Example:
        >>> nn.Unflatten(1, (2, 3))(swiftnn.zeros(4, 6)).shape
        swiftnn.Size([4, 2, 3])
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(unflattened_size, int) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        """`input` with dimension `dim` split (a view where the layout allows, as reshape)."""
        nd = input.ndim
        if not -nd <= self.dim < nd:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for a {nd}-dimensional input of shape "
                             f"{list(input.shape)} (expected {-nd} to {nd - 1})")
        d = self.dim % nd
        shape = list(input.shape)
        return input.reshape(*shape[:d], *self.unflattened_size, *shape[d + 1:])

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
