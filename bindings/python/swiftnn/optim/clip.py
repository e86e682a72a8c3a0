"""clip_grad_norm_ (torch.nn.utils.clip_grad_norm_) over the engine's snn_clip_grad_norm.
Exported as swiftnn.optim.clip_grad_norm_ (and from swiftnn.nn.utils once that exists)."""
from __future__ import annotations

import ctypes
import math
from typing import Iterable, Optional, Union

from .._lib import check, lib
from ..tensor import Tensor, tensor


def clip_grad_norm_(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Scales the gradients of `parameters` in place so that their total norm_type-norm (all
    gradients taken together) is at most max_norm; returns the total norm before clipping as a
    0-d tensor. Parameters without a gradient are skipped."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm_: expected Tensors, got {type(p).__name__}")
    handles = (ctypes.c_void_p * max(len(params), 1))(*[p._h for p in params])
    norm_type, max_norm = float(norm_type), float(max_norm)
    total = ctypes.c_float()
    if error_if_nonfinite:
        check(lib.snn_grad_norm(ctypes.byref(total), handles, len(params), norm_type))
        if not math.isfinite(total.value):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               "so it cannot be clipped. To disable this error and scale the gradients by the "
                               "non-finite norm anyway, set `error_if_nonfinite=False`")
    check(lib.snn_clip_grad_norm(ctypes.byref(total), handles, len(params), max_norm, norm_type))
    return tensor(total.value)
