"""Loss functions and loss modules with torch.nn's names: the pointwise losses' functional
forms (l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy[_with_logits], kl_div, each
one engine op) and the modules (nn.CrossEntropyLoss, nn.MSELoss, ...), which hold their
options and call the functional form, as PyTorch's do."""
from __future__ import annotations

import warnings
from typing import Any, Optional

from .._lib import lib
from ..tensor import Tensor, _new
from .modules import Module

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "kl_div", "L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "SmoothL1Loss", "HuberLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss"]


def _r(reduction: str, size_average: Optional[bool] = None, reduce: Optional[bool] = None) -> int:
    from .functional import _reduction
    return _reduction(reduction, size_average, reduce)


def _check(fn: str, **tensors: Any) -> None:
    for name, t in tensors.items():
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


def _warn_broadcast(fn: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
            reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """F.l1_loss: |input - target|, reduced by `reduction` (gradient 0 where they are equal)."""
    if weight is not None:
        raise NotImplementedError("swiftnn.nn.functional.l1_loss: weight= is not supported")
    _check("l1_loss", input=input, target=target)
    _warn_broadcast("l1_loss", input, target)
    return _new(lib.snn_loss_l1, input._h, target._h, _r(reduction, size_average, reduce))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """F.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    _check("smooth_l1_loss", input=input, target=target)
    _warn_broadcast("smooth_l1_loss", input, target)
    return _new(lib.snn_loss_smooth_l1, input._h, target._h, _r(reduction, size_average, reduce), float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """F.huber_loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if weight is not None:
        raise NotImplementedError("swiftnn.nn.functional.huber_loss: weight= is not supported")
    _check("huber_loss", input=input, target=target)
    _warn_broadcast("huber_loss", input, target)
    return _new(lib.snn_loss_huber, input._h, target._h, _r(reduction), float(delta))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """F.binary_cross_entropy on probabilities in [0, 1] (logs clamped at -100 as PyTorch)."""
    _check("binary_cross_entropy", input=input, target=target, weight=weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    return _new(lib.snn_loss_binary_cross_entropy, input._h, target._h, weight._h if weight is not None else None,
                _r(reduction, size_average, reduce))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """F.binary_cross_entropy_with_logits: sigmoid and BCE in one stable op; pos_weight (one
    value per class) weighs the positive term."""
    _check("binary_cross_entropy_with_logits", input=input, target=target, weight=weight, pos_weight=pos_weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return _new(lib.snn_loss_binary_cross_entropy_with_logits, input._h, target._h,
                weight._h if weight is not None else None, pos_weight._h if pos_weight is not None else None,
                _r(reduction, size_average, reduce))


def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """F.kl_div(input=log q, target=p): p (log p - input); reduction='batchmean' is the true KL
    divergence per sample ('mean' averages over elements, as PyTorch, which warns)."""
    _check("kl_div", input=input, target=target)
    batchmean = reduction == "batchmean"
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    return _new(lib.snn_loss_kl_div, input._h, target._h, _r("sum" if batchmean else reduction, size_average, reduce),
                batchmean, bool(log_target))


# ---- modules ---------------------------------------------------------------------------------

class _Loss(Module):
    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            from .functional import _REDUCTIONS
            code = _r(reduction, size_average, reduce)
            reduction = {v: k for k, v in _REDUCTIONS.items()}[code]
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction}"


class _WeightedLoss(_Loss):
    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """nn.L1Loss: |input - target|, reduced (mean absolute error).

    Args:
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (*), target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.L1Loss()(swiftnn.randn(3, 5, requires_grad=True), swiftnn.randn(3, 5))
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """nn.MSELoss: (input - target)^2, reduced (mean squared error).

    Args:
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (*), target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.MSELoss()(swiftnn.randn(3, 5, requires_grad=True), swiftnn.randn(3, 5))
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        from .functional import mse_loss
        return mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """nn.CrossEntropyLoss: log-softmax and negative log-likelihood of class targets in one op.

    Args:
        weight: optional rescaling weight per class, [C].
        ignore_index: a target value that contributes neither loss nor gradient (default -100).
        label_smoothing: in [0, 1]; the share of the target spread evenly over the classes.
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (N, C), (C) or (N, C, d1, ...) logits; target (N), () or (N, d1, ...) int64
        classes in [0, C); output a scalar, or the target's shape with reduction='none'.

    Example:
        >>> loss = nn.CrossEntropyLoss()(swiftnn.randn(3, 5, requires_grad=True), swiftnn.tensor([1, 0, 4]))
        >>> loss.backward()
    """

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None, ignore_index: int = -100,
                 reduce: Optional[bool] = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        from .functional import cross_entropy
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """nn.NLLLoss: the negative log-likelihood of class targets, from log-probabilities
    (log_softmax's output).

    Args:
        weight: optional rescaling weight per class, [C].
        ignore_index: a target value that contributes neither loss nor gradient (default -100).
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (N, C) or (N, C, d1, ...) log-probabilities; target (N) or (N, d1, ...) int64
        classes; output a scalar, or the target's shape with reduction='none'.

    Example:
        >>> loss = nn.NLLLoss()(swiftnn.randn(3, 5).log_softmax(1), swiftnn.tensor([1, 0, 4]))
    """

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None, ignore_index: int = -100,
                 reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        from .functional import nll_loss
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """nn.SmoothL1Loss: 0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta.

    Args:
        beta: where the quadratic part turns linear (default 1.0).
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (*), target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.SmoothL1Loss(beta=0.5)(swiftnn.randn(3, 5), swiftnn.randn(3, 5))
    """

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """nn.HuberLoss: 0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta) (DQN's loss).

    Args:
        reduction: 'none', 'mean' (the default) or 'sum'.
        delta: where the quadratic part turns linear (default 1.0).

    Shape:
        Input (*), target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.HuberLoss()(swiftnn.randn(3, 5), swiftnn.randn(3, 5))
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """nn.BCELoss: -(y log x + (1 - y) log(1 - x)) for probabilities x (logs clamped at -100).

    Args:
        weight: optional rescaling weight, broadcast to the input.
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (*) in [0, 1], target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.BCELoss()(swiftnn.rand(3), swiftnn.tensor([0., 1., 1.]))
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """nn.BCEWithLogitsLoss: sigmoid and binary cross-entropy in one numerically stable op.

    Args:
        weight: optional rescaling weight, broadcast to the input.
        pos_weight: optional weight of the positive term, one per class (broadcast along the last dimension).
        reduction: 'none' (one loss per element), 'mean' (the default) or 'sum'.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (*) logits, target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.BCEWithLogitsLoss()(swiftnn.randn(3), swiftnn.tensor([0., 1., 1.]))
    """

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                reduction=self.reduction)


class KLDivLoss(_Loss):
    """nn.KLDivLoss: target (log target - input) for input = log q; reduction='batchmean' gives
    the KL divergence per sample ('mean' averages over elements and warns, as PyTorch).

    Args:
        reduction: 'none', 'batchmean', 'mean' (the default) or 'sum'.
        log_target: whether target is given as log p.
        size_average, reduce: PyTorch's deprecated spellings of reduction.

    Shape:
        Input (*) log-probabilities, target the same shape; output a scalar, or (*) with reduction='none'.

    Example:
        >>> loss = nn.KLDivLoss(reduction="batchmean")(swiftnn.randn(3, 5).log_softmax(1),
        ...                                            swiftnn.rand(3, 5).softmax(1))
    """

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
