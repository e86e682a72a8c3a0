"""Loss functions and loss modules with torch.nn's names: the pointwise losses' functional
forms (l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy[_with_logits], kl_div, each
one engine op) and the modules (nn.CrossEntropyLoss, nn.MSELoss, ...), which hold their
options and call the functional form, as PyTorch's do."""
import warnings

from .._lib import lib
from ..tensor import Tensor, _new
from .modules import Module

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "kl_div", "L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "SmoothL1Loss", "HuberLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss"]


def _r(reduction, size_average=None, reduce=None):
    from .functional import _reduction
    return _reduction(reduction, size_average, reduce)


def _check(fn, **tensors):
    for name, t in tensors.items():
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


def _warn_broadcast(fn, input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """F.l1_loss: |input - target|, reduced by `reduction` (gradient 0 where they are equal)."""
    if weight is not None:
        raise NotImplementedError("swiftnn.nn.functional.l1_loss: weight= is not supported")
    _check("l1_loss", input=input, target=target)
    _warn_broadcast("l1_loss", input, target)
    return _new(lib.snn_loss_l1, input._h, target._h, _r(reduction, size_average, reduce))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """F.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    _check("smooth_l1_loss", input=input, target=target)
    _warn_broadcast("smooth_l1_loss", input, target)
    return _new(lib.snn_loss_smooth_l1, input._h, target._h, _r(reduction, size_average, reduce), float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """F.huber_loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if weight is not None:
        raise NotImplementedError("swiftnn.nn.functional.huber_loss: weight= is not supported")
    _check("huber_loss", input=input, target=target)
    _warn_broadcast("huber_loss", input, target)
    return _new(lib.snn_loss_huber, input._h, target._h, _r(reduction), float(delta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """F.binary_cross_entropy on probabilities in [0, 1] (logs clamped at -100 as PyTorch)."""
    _check("binary_cross_entropy", input=input, target=target, weight=weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    return _new(lib.snn_loss_binary_cross_entropy, input._h, target._h, weight._h if weight is not None else None,
                _r(reduction, size_average, reduce))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """F.binary_cross_entropy_with_logits: sigmoid and BCE in one stable op; pos_weight (one
    value per class) weighs the positive term."""
    _check("binary_cross_entropy_with_logits", input=input, target=target, weight=weight, pos_weight=pos_weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return _new(lib.snn_loss_binary_cross_entropy_with_logits, input._h, target._h,
                weight._h if weight is not None else None, pos_weight._h if pos_weight is not None else None,
                _r(reduction, size_average, reduce))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
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
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            from .functional import _REDUCTIONS
            code = _r(reduction, size_average, reduce)
            reduction = {v: k for k, v in _REDUCTIONS.items()}[code]
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """nn.L1Loss: mean absolute error."""

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        return l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """nn.MSELoss: mean squared error."""

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        from .functional import mse_loss
        return mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """nn.CrossEntropyLoss: log-softmax and negative log-likelihood of class targets in one op
    (input [N, C] or [N, C, d1, ...] logits, target int64 classes)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        from .functional import cross_entropy
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """nn.NLLLoss on log-probabilities."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        from .functional import nll_loss
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """nn.SmoothL1Loss (beta=1.0)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """nn.HuberLoss (delta=1.0): DQN's loss."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """nn.BCELoss on probabilities."""

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """nn.BCEWithLogitsLoss: sigmoid + BCE, stable; pos_weight per class."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        return binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                reduction=self.reduction)


class KLDivLoss(_Loss):
    """nn.KLDivLoss(input=log q, target=p); use reduction='batchmean' for the KL divergence."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        """The loss of input against target, reduced by self.reduction."""
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
