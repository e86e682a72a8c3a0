"""torch.nn.functional for SwiftNN: losses and softmax with PyTorch's names, argument names and
defaults (`import swiftnn.nn.functional as F`). Each loss is one engine op with a fused backward."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .._typing import DTypeLike

if TYPE_CHECKING:
    from ..tensor import Tensor

import warnings

from .._ffi import SNN_REDUCTION_MEAN, SNN_REDUCTION_NONE, SNN_REDUCTION_SUM
from .._lib import lib
from ..elementwise import (celu, elu, gelu, hardsigmoid, hardswish, leaky_relu, mish, prelu, relu, relu6,  # noqa: F401
                           selu, sigmoid, silu, softplus, softsign, tanh)  # (re-exported)
from ..conv import (adaptive_avg_pool2d, avg_pool2d, avg_pool3d, batch_norm, conv2d, dropout, linear,  # noqa: F401
                    max_pool2d, max_pool3d)
from ..reduce import log_softmax as _log_softmax, softmax as _softmax
from ..tensor import Tensor, _new

# ---- Activations -----------------------------------------------------------------------------
# relu, leaky_relu, relu6, gelu, silu, ... are swiftnn/elementwise.py's (imported above, with
# torch's signatures); softmax and log_softmax follow.


def _softmax_dim(input: Tensor, dim: Optional[int], fn: str) -> int:
    # PyTorch's legacy rule when dim is omitted (deprecated there too).
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {fn} has been deprecated. "
                      "Change the call to include dim=X as an argument.", stacklevel=3)
        return 0 if input.ndim in (0, 1, 3) else 1
    return dim


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Optional[DTypeLike] = None) -> Tensor:
    """F.softmax: exp(x - max) / sum(exp(x - max)) along `dim`."""
    return _softmax(input, _softmax_dim(input, dim, "softmax"), dtype=dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
                dtype: Optional[DTypeLike] = None) -> Tensor:
    """F.log_softmax: x - max - log(sum(exp(x - max))) along `dim`."""
    return _log_softmax(input, _softmax_dim(input, dim, "log_softmax"), dtype=dtype)


# ---- Losses ----------------------------------------------------------------------------------

_REDUCTIONS = {"none": SNN_REDUCTION_NONE, "mean": SNN_REDUCTION_MEAN, "sum": SNN_REDUCTION_SUM}


def _reduction(reduction: str, size_average: Optional[bool], reduce: Optional[bool]) -> int:
    if size_average is not None or reduce is not None:
        # PyTorch's deprecated size_average / reduce pair, mapped as it maps them.
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _REDUCTIONS[reduction]


def _tensors(fn: str, input: object, target: object, weight: object = None) -> None:
    for name, t in (("input", input), ("target", target), ("weight", weight)):
        if not isinstance(t, Tensor) and not (name == "weight" and t is None):
            raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


def _no_weight(fn: str, weight: object) -> None:
    if weight is not None:
        raise NotImplementedError(f"swiftnn.nn.functional.{fn}: class weights (weight=) are not supported")


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                  ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """F.cross_entropy from logits with int64 class targets: input [N, C] / [N, C, d1, ...] / [C],
    target [N] / [N, d1, ...] / []; weight: optional [C] class weights (the input's dtype).
    'mean' divides by the summed weights of the targets != ignore_index (their count without
    weights); label_smoothing mixes (1 - e) one-hot with e / C."""
    _tensors("cross_entropy", input, target, weight)
    r = _reduction(reduction, size_average, reduce)
    return _new(lib.snn_loss_cross_entropy_weighted, input._h, target._h, weight._h if weight is not None else None, r,
                int(ignore_index), float(label_smoothing))


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
             ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """F.nll_loss on log-probabilities (e.g. from log_softmax over dim 1); shapes, class weights
    and the weighted 'mean' as cross_entropy."""
    _tensors("nll_loss", input, target, weight)
    r = _reduction(reduction, size_average, reduce)
    return _new(lib.snn_loss_nll_weighted, input._h, target._h, weight._h if weight is not None else None, r,
                int(ignore_index))


def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
             reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """F.mse_loss: (input - target)^2, broadcasting the two, reduced by `reduction`."""
    _no_weight("mse_loss", weight)
    _tensors("mse_loss", input, target)
    r = _reduction(reduction, size_average, reduce)
    return _new(lib.snn_loss_mse, input._h, target._h, r)


# The pointwise losses live beside their modules (nn/loss.py).
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, kl_div, l1_loss,  # noqa: E402,F401
                   smooth_l1_loss)
from .normalization import group_norm, layer_norm  # noqa: E402,F401
from .resample import interpolate, one_hot, pad  # noqa: E402,F401
from .convolution import conv1d, conv_transpose2d, conv_transpose3d  # noqa: E402,F401
from .attention import scaled_dot_product_attention  # noqa: E402,F401
from .ctc import ctc_loss  # noqa: E402,F401

# The public names (mypy --strict re-exports only listed names, so `F.interpolate` type-checks
# in users' code): add every new function here.
__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "celu", "conv1d", "conv2d", "conv_transpose2d", "cross_entropy",
           "ctc_loss", "dropout", "elu", "gelu", "group_norm", "hardsigmoid", "hardswish", "huber_loss",
           "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
           "max_pool2d", "mish", "mse_loss", "nll_loss", "one_hot", "pad", "prelu", "relu", "relu6",
           "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus",
           "softsign", "tanh"]
