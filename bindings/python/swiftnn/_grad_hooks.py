"""Tensor.register_hook on the engine's gradient hooks (snn_tensor_register_hook). One C
trampoline serves every hook: the engine passes back the integer it was given as user_data,
which keys the Python callable here; the release callback drops the entry when the engine lets
go of the hook (removed, or freed with its graph). An exception raised by a hook stops the
backward and is re-raised by Tensor.backward itself, not as a status message."""
from __future__ import annotations

import ctypes
import itertools
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from . import _ffi
from ._lib import check, lib

if TYPE_CHECKING:
    from .tensor import Tensor

_hooks: Dict[int, Callable[[Any], Any]] = {}
_keys = itertools.count(1)
_local = threading.local()  # .error: the exception a hook raised during this thread's backward


def _call(user_data: Optional[int], grad: Optional[int], replacement: Any) -> int:
    from .tensor import Tensor, _as_tensor
    try:
        hook = _hooks[int(user_data or 0)]
        own = ctypes.c_void_p()
        check(lib.snn_tensor_ref(ctypes.byref(own), grad))  # the engine frees the lent handle itself
        result = hook(Tensor._wrap(own.value))
        if result is not None:
            r = _as_tensor(result)
            given = ctypes.c_void_p()
            check(lib.snn_tensor_ref(ctypes.byref(given), r._h))  # the engine takes this handle
            replacement[0] = given.value
        return int(_ffi.SNN_OK)
    except BaseException as e:  # noqa: B036 -- any exception must stop the backward, not unwind through C
        _local.error = e
        return int(_ffi.SNN_ERR_INTERNAL)


def _release(user_data: Optional[int]) -> None:
    hooks = _hooks
    if hooks is not None:  # None once the interpreter tears the module down
        hooks.pop(int(user_data or 0), None)


_TRAMPOLINE = _ffi.snn_grad_hook_fn(_call)
_RELEASE = _ffi.snn_hook_release_fn(_release)
# The engine may call _RELEASE while the interpreter shuts down (a leaf with a hook freed by
# the last garbage collection), after this module's globals are gone: one leaked reference
# each keeps the two C thunks alive for the life of the process.
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_TRAMPOLINE))
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_RELEASE))


class TensorHookHandle:
    """Removes one tensor hook: handle.remove() (a second call does nothing)."""

    def __init__(self, tensor: Tensor, hook_id: int) -> None:
        import weakref
        self._tensor = weakref.ref(tensor)
        self.id = hook_id

    def remove(self) -> None:
        t = self._tensor()
        if t is not None and t._h:
            removed = ctypes.c_bool()
            check(lib.snn_tensor_remove_hook(ctypes.byref(removed), t._h, self.id))

    def __enter__(self) -> TensorHookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register(tensor: Tensor, hook: Callable[[Any], Any]) -> TensorHookHandle:
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    key = next(_keys)
    _hooks[key] = hook
    hook_id = ctypes.c_int64()
    try:
        check(lib.snn_tensor_register_hook(ctypes.byref(hook_id), tensor._h, _TRAMPOLINE, ctypes.c_void_p(key),
                                           _RELEASE))
    except BaseException:
        _hooks.pop(key, None)
        raise
    return TensorHookHandle(tensor, hook_id.value)


def take_error() -> Optional[BaseException]:
    """The exception a hook raised during the last backward on this thread, cleared."""
    e = getattr(_local, "error", None)
    _local.error = None
    return e
