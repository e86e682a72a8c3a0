"""Owning wrappers for non-tensor handles and helpers for the C string-buffer convention."""
from __future__ import annotations

import ctypes
from typing import Any, Callable, NoReturn, Optional

from ._ffi import SNN_OK
from ._lib import check, lib


class Handle:
    """Owns one C handle and frees it with `free_fn` exactly once."""

    __slots__ = ("_h", "_free")

    def __init__(self, handle: Optional[int], free_fn: Callable[[int], Any]) -> None:
        self._h, self._free = handle, free_fn

    def __del__(self) -> None:
        if self._h and lib is not None:
            try:
                self._free(self._h)
            except Exception:
                pass
            self._h = None

    @property
    def value(self) -> Optional[int]:
        """The handle (None once freed)."""
        return self._h

    # The handle is freed once, by this object: a copy must never duplicate its value. A
    # shallow copy shares the owner; deep copies and pickles are made by the objects holding
    # a Handle (an engine module rebuilds itself, copying.py), never of the bare handle.
    def __copy__(self) -> Handle:
        return self

    def __deepcopy__(self, memo: Any) -> NoReturn:
        raise TypeError("swiftnn: an engine handle cannot be deep-copied by itself; the object that holds it "
                        "does not support deepcopy")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("swiftnn: an engine handle cannot be pickled; the object that holds it does not "
                        "support pickling")


def new_handle(fn: Callable[..., int], free_fn: Callable[[int], Any], *args: Any) -> Handle:
    """A Handle to what fn(&out, *args) creates, freed later with free_fn."""
    out = ctypes.c_void_p()
    check(fn(ctypes.byref(out), *args))
    return Handle(out.value, free_fn)


def read_string(fn: Callable[..., int], *args: Any) -> str:
    """Calls fn(buf, capacity, &len, *args), growing the buffer once if needed."""
    n = ctypes.c_size_t()
    buf = ctypes.create_string_buffer(256)
    status = fn(buf, 256, ctypes.byref(n), *args)
    if status != SNN_OK and n.value >= 256:
        buf = ctypes.create_string_buffer(n.value + 1)
        status = fn(buf, n.value + 1, ctypes.byref(n), *args)
    check(status)
    return buf.value.decode("utf-8")
