"""Element types with PyTorch's names (swiftnn.float32, swiftnn.long, swiftnn.bool, ...) and
their numpy twins. A numpy dtype the engine lacks (float16, complex, int16, ...) is an error
naming it, never a silent conversion."""
from __future__ import annotations

import builtins
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    _np_dtype = np.dtype[Any]  # dtype.np's type (the attribute's name hides numpy's inside the class)

from ._ffi import SNN_BOOL, SNN_FLOAT32, SNN_FLOAT64, SNN_INT32, SNN_INT64, SNN_UINT8


class dtype:
    """An element type, as torch.dtype: `is_floating_point`, `is_signed`, `itemsize`."""

    __slots__ = ("name", "code", "np", "is_floating_point", "is_signed", "itemsize")

    name: str
    code: builtins.int
    np: _np_dtype
    is_floating_point: builtins.bool
    is_signed: builtins.bool
    itemsize: builtins.int

    def __init__(self, name: str, code: builtins.int, np_dtype: Any) -> None:
        self.name, self.code, self.np = name, code, np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"swiftnn.{self.name}"

    def __reduce__(self) -> str:  # pickles as the module-level name, so unpickling gives the same object
        return f"{self.name}"


float32 = dtype("float32", SNN_FLOAT32, np.float32)
float64 = dtype("float64", SNN_FLOAT64, np.float64)
int64 = dtype("int64", SNN_INT64, np.int64)
int32 = dtype("int32", SNN_INT32, np.int32)
uint8 = dtype("uint8", SNN_UINT8, np.uint8)
bool_ = dtype("bool", SNN_BOOL, np.bool_)

ALL = (float32, float64, int64, int32, uint8, bool_)
BY_CODE = {d.code: d for d in ALL}  # snn_dtype -> dtype
_BY_NUMPY = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype: Any, fn: str) -> dtype:
    """The dtype of a numpy dtype, or TypeError naming it and `fn`."""
    d = _BY_NUMPY.get(np.dtype(np_dtype).newbyteorder("="))
    if d is None:
        raise TypeError(f"{fn}: numpy dtype {np.dtype(np_dtype)} is not supported by swiftnn "
                        f"(supported: {', '.join(x.name for x in ALL)})")
    return d


def check(d: Any, fn: str) -> dtype:
    """`d` if it is a swiftnn dtype; a numpy dtype or type (np.float64) is accepted too, as
    torch does not but numpy users write it; anything else is TypeError naming it."""
    if isinstance(d, dtype):
        return d
    try:
        npd = np.dtype(d)
    except TypeError:
        raise TypeError(f"{fn}: dtype must be a swiftnn dtype (swiftnn.float32, ...), got {d!r}") from None
    return from_numpy_dtype(npd, fn)


def scalar_dtype(value: Any) -> dtype:
    """The dtype torch gives a Python number: bool -> bool, int -> int64, float -> float32 (the
    default dtype); a numpy scalar keeps its dtype."""
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype, "swiftnn")
    if isinstance(value, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(value, numbers.Integral):
        return int64
    if isinstance(value, numbers.Real):
        return float32
    raise TypeError(f"swiftnn: {type(value).__name__} {value!r} is not a supported number (bool, int or float)")


# PyTorch's short names, last: from here on `bool`, `float` and `int` in this module are dtypes.
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
bool = bool_  # noqa: A001
