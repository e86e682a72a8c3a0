"""Grad-mode context managers: swiftnn.no_grad() and swiftnn.enable_grad() (per thread), and
gradcheck (in gradcheck.py)."""
import ctypes
import functools

from ._lib import check, lib


class no_grad:
    """`with swiftnn.no_grad():` or `@swiftnn.no_grad()`: ops inside record no graph."""

    def __enter__(self):
        check(lib.snn_no_grad_begin())

    def __exit__(self, *exc):
        check(lib.snn_no_grad_end())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)
        return wrapper


def is_grad_enabled():
    b = ctypes.c_bool()
    check(lib.snn_is_grad_enabled(ctypes.byref(b)))
    return b.value


def gradcheck(func, inputs, **kwargs):
    """torch.autograd.gradcheck (see swiftnn/gradcheck.py)."""
    from .gradcheck import gradcheck as check_gradients
    return check_gradients(func, inputs, **kwargs)
