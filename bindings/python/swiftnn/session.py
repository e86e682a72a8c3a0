"""Sessions: a thread count for the calls made on the threads a session is bound to (C:
snn_session, swiftnn/serving.h). A server running many small models gives each request a
1-thread session, so N requests use N cores, not N times the engine's threads:

    session = swiftnn.Session(num_threads=1)      # once, at start-up
    with session:                                 # on any thread, around any calls
        y = model(x)
    y = session.run(model, x)                     # the same, for one call

Binding is per thread and nestable; one Session may be used by many threads at once. Modelled
on ONNX Runtime's SessionOptions.intra_op_num_threads (docs/concurrency.md)."""
from __future__ import annotations

import builtins as _builtins
import ctypes
from typing import Any, Callable, Literal, TypeVar

from ._ffi import snn_session_options
from ._handles import Handle
from ._lib import check, lib
from ._options import options

_R = TypeVar("_R")


class Session:
    """A thread budget (1 <= num_threads <= 1024, the calling thread included). Creating the
    first session switches the engine to one pool of threads (see swiftnn.h)."""

    def __init__(self, num_threads: int = 1) -> None:
        opts = options(snn_session_options, num_threads=_builtins.int(num_threads))
        h = ctypes.c_void_p()
        check(lib.snn_session_create(ctypes.byref(h), ctypes.byref(opts)))
        self._handle = Handle(h.value, lib.snn_session_free)

    @property
    def num_threads(self) -> int:
        """The most threads one call under this session may use (snn_session_num_threads)."""
        n = ctypes.c_int32()
        check(lib.snn_session_num_threads(ctypes.byref(n), self._handle.value))
        return n.value

    def __enter__(self) -> Session:
        check(lib.snn_session_enter(self._handle.value))
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        check(lib.snn_session_exit(self._handle.value))
        return False

    def run(self, fn: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
        """fn(*args, **kwargs) (a model, a decode, any callable) with this session bound."""
        with self:
            return fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"swiftnn.Session(num_threads={self.num_threads})"
