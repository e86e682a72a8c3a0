"""F.ctc_loss and nn.CTCLoss over the engine's ctc_loss (snn_loss_ctc): connectionist temporal
classification with PyTorch's argument names, reductions and zero_infinity."""
from __future__ import annotations

from typing import Any, Sequence, Union

from .._lib import lib
from ..dtypes import int64
from ..tensor import Tensor, _new, tensor
from .loss import _Loss

__all__ = ["ctc_loss", "CTCLoss"]


def _lengths(v: Any, what: str) -> Tensor:
    # PyTorch takes the lengths as int64 tensors or as sequences of ints.
    if isinstance(v, Tensor):
        return v if v.dtype == int64 else v.long()
    if isinstance(v, int):
        return tensor(v, dtype=int64)
    try:
        return tensor([int(x) for x in v], dtype=int64)
    except TypeError:
        raise TypeError(f"ctc_loss(): {what} must be a Tensor or a sequence of ints, not {type(v).__name__}") from None


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Union[Tensor, Sequence[int]],
             target_lengths: Union[Tensor, Sequence[int]], blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Tensor:
    """F.ctc_loss: log_probs [T, N, C] (log_softmax over C) or [T, C]; targets [N, S] padded
    or 1-D concatenated; one input and target length per sample. 'mean' divides each loss
    by its target length, then averages over the batch."""
    from .functional import _reduction
    for name, t in (("log_probs", log_probs), ("targets", targets)):
        if not isinstance(t, Tensor):
            raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    r = _reduction(reduction, None, None)
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    return _new(lib.snn_loss_ctc, log_probs._h, targets._h, il._h, tl._h, int(blank), r, bool(zero_infinity))


class CTCLoss(_Loss):
    """nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Union[Tensor, Sequence[int]],
                target_lengths: Union[Tensor, Sequence[int]]) -> Tensor:
        """The loss of log_probs [T, N, C] against targets; see ctc_loss."""
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)
