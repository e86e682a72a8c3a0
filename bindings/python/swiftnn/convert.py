"""Dtype conversions as Tensor methods with PyTorch's names: to(dtype | device | tensor),
float(), double(), long(), int(), bool(), byte(), type_as(), is_floating_point(). The engine
converts (snn_tensor_to); this only reads PyTorch's argument forms."""
from __future__ import annotations

from typing import Any, Optional, Tuple

from . import dtypes as _dtypes
from ._typing import DTypeLike
from ._lib import lib
from .tensor import Tensor, _new


def _check_device(device: Any, fn: str) -> None:
    """Only the CPU exists: "cpu", "cpu:0", or an object whose .type is "cpu" (torch.device)."""
    name = getattr(device, "type", device)
    if not isinstance(name, str) or name.split(":")[0] != "cpu":
        raise RuntimeError(f"{fn}: swiftnn runs on the CPU only; device {device!r} is not available")


def _parse_to_args(args: Tuple[Any, ...], dtype: Any, device: Any, fn: str) -> Any:
    """The dtype that `.to(*args, dtype=, device=)` asks for (None: unchanged), as PyTorch
    reads Tensor.to's and Module.to's positional forms: a tensor gives its dtype, a string or
    torch.device-like object is a device (only "cpu" exists), anything else is a dtype."""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) or hasattr(a, "type"):
            _check_device(a, fn)
        elif a is not None:
            dtype = a
    if device is not None:
        _check_device(device, fn)
    return dtype


def to(self: Tensor, *args: Any, dtype: Optional[DTypeLike] = None, device: Any = None, non_blocking: bool = False,
       copy: bool = False, memory_format: Any = None) -> Tensor:
    """Tensor.to(dtype), .to("cpu"), .to(other) (other's dtype), .to("cpu", dtype), with
    dtype=/device=/copy= keywords. Returns self when nothing changes (copy=False), as torch."""
    fn = "Tensor.to"
    dtype = _parse_to_args(args, dtype, device, fn)
    d = self.dtype if dtype is None else _dtypes.check(dtype, fn)
    if d is self.dtype:
        return self.clone() if copy else self
    return _new(lib.snn_tensor_to, self._h, d.code)


def _half(self: Tensor) -> Tensor:
    """float16 does not exist in swiftnn: always TypeError."""
    raise TypeError("Tensor.half: float16 is not supported by swiftnn (supported: "
                    + ", ".join(d.name for d in _dtypes.ALL) + ")")


def _float(self: Tensor) -> Tensor:
    """self.to(swiftnn.float32)."""
    return to(self, _dtypes.float32)


def _double(self: Tensor) -> Tensor:
    """self.to(swiftnn.float64)."""
    return to(self, _dtypes.float64)


def _long(self: Tensor) -> Tensor:
    """self.to(swiftnn.int64)."""
    return to(self, _dtypes.int64)


def _int(self: Tensor) -> Tensor:
    """self.to(swiftnn.int32)."""
    return to(self, _dtypes.int32)


def _bool(self: Tensor) -> Tensor:
    """self.to(swiftnn.bool)."""
    return to(self, _dtypes.bool_)


def _byte(self: Tensor) -> Tensor:
    """self.to(swiftnn.uint8)."""
    return to(self, _dtypes.uint8)


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    """self converted to other's dtype."""
    return to(self, other.dtype)


def _is_floating_point(self: Tensor) -> bool:
    """Whether the dtype is float32 or float64."""
    return self.dtype.is_floating_point


def _element_size(self: Tensor) -> int:
    """Bytes per element of the dtype."""
    return self.dtype.itemsize


def _cpu(self: Tensor) -> Tensor:
    """self: swiftnn tensors are always on the CPU."""
    return self


# The methods are installed here rather than written in tensor.py's class so that conversion
# lives in one file; _tensor_methods.py declares them for type checkers.
_T: Any = Tensor
_T.to = to
_T.float = _float
_T.double = _double
_T.long = _long
_T.int = _int
_T.bool = _bool
_T.byte = _byte
_T.half = _half
_T.type_as = _type_as
_T.is_floating_point = _is_floating_point
_T.element_size = _element_size
_T.cpu = _cpu
