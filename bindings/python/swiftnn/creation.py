"""Creation functions beyond tensor.py's (empty, the *_like family, eye, linspace) and
torch.get_default_dtype, each taking dtype= as PyTorch does. Values come from the engine's
factories or from numpy's (eye, linspace), then cross as any other data."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from ._typing import DTypeLike, IntOrSize, Number
from .dtypes import dtype
from .tensor import Tensor, from_numpy, full, ones, rand, randn, zeros


def get_default_dtype() -> dtype:
    """torch.get_default_dtype: float32 (swiftnn has no set_default_dtype)."""
    return _dtypes.float32


def empty(*size: IntOrSize, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """torch.empty: here zero-filled, so that nothing uninitialised is ever read."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def _like(t: Any, dtype: Optional[DTypeLike]) -> tuple[tuple[int, ...], DTypeLike]:
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a swiftnn.Tensor, got {type(t).__name__}")
    return tuple(t.shape), (t.dtype if dtype is None else dtype)


def zeros_like(input: Tensor, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """Zeros of input's shape and dtype (or `dtype`), as torch.zeros_like."""
    shape, d = _like(input, dtype)
    return zeros(shape, dtype=d, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """Ones of input's shape and dtype (or `dtype`), as torch.ones_like."""
    shape, d = _like(input, dtype)
    return ones(shape, dtype=d, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """A tensor of input's shape and dtype (or `dtype`), zero-filled as swiftnn.empty."""
    shape, d = _like(input, dtype)
    return empty(shape, dtype=d, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Number, dtype: Optional[DTypeLike] = None,
              requires_grad: bool = False) -> Tensor:
    """fill_value everywhere, of input's shape and dtype (or `dtype`), as torch.full_like."""
    shape, d = _like(input, dtype)
    return full(shape, fill_value, dtype=d, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) of input's shape and (floating) dtype; an integer dtype is an error."""
    shape, d = _like(input, dtype)
    return rand(shape, dtype=d, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of input's shape and (floating) dtype, as torch.randn_like."""
    shape, d = _like(input, dtype)
    return randn(shape, dtype=d, requires_grad=requires_grad)


def eye(n: int, m: Optional[int] = None, dtype: Optional[DTypeLike] = None, requires_grad: bool = False) -> Tensor:
    """torch.eye: ones on the diagonal of an n x m matrix (float32 by default)."""
    d = _dtypes.float32 if dtype is None else _dtypes.check(dtype, "swiftnn.eye")
    for what, v in (("n", n), ("m", n if m is None else m)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f"swiftnn.eye: {what} must be a non-negative int, got {v!r}")
    t = from_numpy(np.eye(n, n if m is None else m, dtype=d.np))
    return t.requires_grad_(True) if requires_grad else t


def linspace(start: Number, end: Number, steps: int, dtype: Optional[DTypeLike] = None,
             requires_grad: bool = False) -> Tensor:
    """torch.linspace: `steps` evenly spaced values from start to end inclusive (computed in
    float64, then converted to dtype, float32 by default)."""
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"swiftnn.linspace: steps must be a non-negative int, got {steps!r}")
    d = _dtypes.float32 if dtype is None else _dtypes.check(dtype, "swiftnn.linspace")
    t = from_numpy(np.linspace(float(start), float(end), steps, dtype=np.float64)).to(d)
    return t.requires_grad_(True) if requires_grad else t


__all__ = ["empty", "empty_like", "eye", "full_like", "get_default_dtype", "linspace", "ones_like",
           "rand_like", "randn_like", "zeros_like"]

