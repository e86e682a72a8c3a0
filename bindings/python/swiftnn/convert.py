"""Dtype conversions as Tensor methods with PyTorch's names: to(dtype | device | tensor),
float(), double(), long(), int(), bool(), byte(), type_as(), is_floating_point(). The engine
converts (snn_tensor_to); this only reads PyTorch's argument forms."""
from . import dtypes as _dtypes
from ._lib import lib
from .tensor import Tensor, _new


def _check_device(device, fn):
    """Only the CPU exists: "cpu", "cpu:0", or an object whose .type is "cpu" (torch.device)."""
    name = getattr(device, "type", device)
    if not isinstance(name, str) or name.split(":")[0] != "cpu":
        raise RuntimeError(f"{fn}: swiftnn runs on the CPU only; device {device!r} is not available")


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """Tensor.to(dtype), .to("cpu"), .to(other) (other's dtype), .to("cpu", dtype), with
    dtype=/device=/copy= keywords. Returns self when nothing changes (copy=False), as torch."""
    fn = "Tensor.to"
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) or hasattr(a, "type"):
            _check_device(a, fn)
        elif a is not None:
            dtype = a
    if device is not None:
        _check_device(device, fn)
    d = self.dtype if dtype is None else _dtypes.check(dtype, fn)
    if d is self.dtype:
        return self.clone() if copy else self
    return _new(lib.snn_tensor_to, self._h, d.code)


def _half(self):
    raise TypeError("Tensor.half: float16 is not supported by swiftnn (supported: "
                    + ", ".join(d.name for d in _dtypes.ALL) + ")")


Tensor.to = to
Tensor.float = lambda self: to(self, _dtypes.float32)
Tensor.double = lambda self: to(self, _dtypes.float64)
Tensor.long = lambda self: to(self, _dtypes.int64)
Tensor.int = lambda self: to(self, _dtypes.int32)
Tensor.bool = lambda self: to(self, _dtypes.bool_)
Tensor.byte = lambda self: to(self, _dtypes.uint8)
Tensor.half = _half
Tensor.type_as = lambda self, other: to(self, other.dtype)
Tensor.is_floating_point = lambda self: self.dtype.is_floating_point
Tensor.element_size = lambda self: self.dtype.itemsize
Tensor.cpu = lambda self: self
