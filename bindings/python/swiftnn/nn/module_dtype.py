"""Module.to(dtype), .double(), .float() (PyTorch's Module._apply): every floating parameter
and buffer converted in place. Engine modules convert their own tensors (snn_module_to_dtype:
the Tensor objects stay, so every handle and Parameter mirror sees the new dtype); tensors that
only Python holds (parameters and buffers of modules written in Python) are replaced by their
converted values under the same Parameter object, as PyTorch replaces `param.data`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import dtypes as _dtypes
from .._lib import check, lib
from ..autograd import no_grad
from ..convert import _parse_to_args

if TYPE_CHECKING:
    from ..tensor import Tensor
    from .modules import Module


def module_to(module: Module, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
              memory_format: Any = None) -> Module:
    """Module.to(dtype), .to("cpu"), .to(tensor) (its dtype), .to("cpu", dtype), with the
    dtype=/device= keywords; returns the module."""
    fn = "Module.to"
    dtype = _parse_to_args(args, dtype, device, fn)
    if dtype is None:
        return module
    d = _dtypes.check(dtype, fn)
    if not d.is_floating_point:
        raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={d!r}")
    from .modules import EngineModule
    with no_grad():
        for m in module.modules():
            if isinstance(m, EngineModule):
                check(lib.snn_module_to_dtype(m._mh, d.code))
                continue
            for table in (m._parameters, m._buffers):
                for name, t in table.items():
                    if t is not None and t.is_floating_point() and t.dtype is not d:
                        _convert_in_place(t, d)
    return module


def _convert_in_place(t: Tensor, d: _dtypes.dtype) -> None:
    """t takes the converted values under the same Python object (its handle is swapped), so
    optimizers and containers holding `t` see them; its grad is converted too."""
    grad = t.grad
    requires_grad = t.requires_grad
    new = t.detach().to(d)
    if new is t:
        return
    t.grad = None
    t._h, new._h = new._h, t._h
    if requires_grad:
        t.requires_grad_(True)
    if grad is not None:
        t.grad = grad.to(d)
