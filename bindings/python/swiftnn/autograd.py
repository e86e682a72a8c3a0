"""Grad-mode context managers: swiftnn.no_grad() and swiftnn.enable_grad() (per thread), and
gradcheck (in gradcheck.py)."""
from __future__ import annotations

import ctypes
import functools
from typing import Any, Callable, Literal, TypeVar

from ._lib import check, lib

F = TypeVar("F", bound=Callable[..., Any])


class no_grad:
    """`with swiftnn.no_grad():` or `@swiftnn.no_grad()`: ops inside record no graph."""

    def __enter__(self) -> None:
        check(lib.snn_no_grad_begin())

    def __exit__(self, *exc: object) -> Literal[False]:
        check(lib.snn_no_grad_end())
        return False

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]  # same signature as fn


def is_grad_enabled() -> bool:
    """Whether ops record a graph on this thread (False inside no_grad)."""
    b = ctypes.c_bool()
    check(lib.snn_is_grad_enabled(ctypes.byref(b)))
    return b.value


def gradcheck(func: Callable[..., Any], inputs: Any, **kwargs: Any) -> bool:
    """torch.autograd.gradcheck (see swiftnn/gradcheck.py)."""
    from .gradcheck import gradcheck as check_gradients
    return check_gradients(func, inputs, **kwargs)
