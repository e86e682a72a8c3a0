"""The engine's log (swiftnn/log.h) in Python: by default every message goes to the standard
`logging` logger "swiftnn" at its level (debug, info, warning, error), which has a NullHandler,
so nothing is printed unless the application configures logging, as a library should. The
engine's own threshold is debug here: the logger's level and handlers decide, as usual.
set_log_callback(fn) sends messages to fn(level_name, message) instead; None goes back to
logging."""
from __future__ import annotations

import atexit
import logging
from typing import Callable, Optional, Union

from . import _ffi
from ._lib import check, lib

logger = logging.getLogger("swiftnn")
logger.addHandler(logging.NullHandler())

_NAMES = {0: "debug", 1: "info", 2: "warning", 3: "error"}
_TO_LOGGING = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}
_FROM_NAME = {"debug": 0, "info": 1, "warning": 2, "error": 3, "off": 4}
_user: Optional[Callable[[str, str], object]] = None


def _dispatch(level: int, message: Optional[bytes], _user_data: Optional[int]) -> None:
    # Runs on the thread that called into the engine, with the GIL taken by ctypes. An
    # exception must not cross into the engine: it is logged by ctypes' own handler at worst.
    text = message.decode("utf-8", "replace") if message else ""
    fn = _user
    if fn is not None:
        fn(_NAMES.get(level, "error"), text)
    elif logger.isEnabledFor(_TO_LOGGING.get(level, logging.ERROR)):
        logger.log(_TO_LOGGING.get(level, logging.ERROR), text)


_callback = _ffi.snn_log_fn(_dispatch)  # kept alive for the process: the engine holds it


def set_log_callback(fn: Optional[Callable[[str, str], object]]) -> None:
    """Sends the engine's messages to fn(level, message) (level: 'debug', 'info', 'warning',
    'error'); None sends them to the "swiftnn" logger again. Calls are serialized."""
    global _user
    if fn is not None and not callable(fn):
        raise TypeError(f"set_log_callback: expected a callable or None, got {type(fn).__name__}")
    _user = fn


def set_log_level(level: Union[str, int]) -> None:
    """The engine's threshold: 'debug', 'info', 'warning', 'error', 'off' or a logging level
    (logging.INFO, ...). Messages below it are not even formatted."""
    if isinstance(level, str):
        if level.lower() not in _FROM_NAME:
            raise ValueError(f"set_log_level: unknown level {level!r}; expected one of {sorted(_FROM_NAME)}")
        value = _FROM_NAME[level.lower()]
    elif isinstance(level, int) and not isinstance(level, bool):
        value = 0 if level <= logging.DEBUG else 1 if level <= logging.INFO else 2 if level <= logging.WARNING else 3 if level <= logging.ERROR else 4
    else:
        raise TypeError(f"set_log_level: expected a level name or a logging level, got {type(level).__name__}")
    check(lib.snn_set_log_level(value))


def _install() -> None:
    check(lib.snn_set_log_callback(_callback, None))
    check(lib.snn_set_log_level(0))
    # no call into Python once the interpreter is going away
    atexit.register(lambda: lib.snn_set_log_callback(_ffi.snn_log_fn(), None))


_install()
