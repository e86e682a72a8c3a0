"""nn.CTCLoss / F.ctc_loss beyond the golden cases (Tests/golden/surface.*, which check values
and gradients against PyTorch): a case small enough to check by hand, lengths as lists, the
module form, and errors that name the argument."""
import math

import numpy as np
import pytest

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F


def test_two_frames_one_label_by_hand():
    # T = 2, C = 2 (blank 0, label 1), target [1]: the paths are (1,1), (0,1), (1,0).
    p = np.array([[0.6, 0.4], [0.3, 0.7]])
    lp = swiftnn.from_numpy(np.log(p).astype(np.float32)[:, None, :])
    want = -math.log(p[0, 1] * p[1, 1] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 0])
    loss = F.ctc_loss(lp, swiftnn.tensor([[1]]), [2], [1], reduction="sum")
    assert loss.item() == pytest.approx(want, rel=1e-6)
    # 'mean' divides by the target length (1 here) and the batch size (1).
    assert nn.CTCLoss()(lp, swiftnn.tensor([[1]]), swiftnn.tensor([2]), swiftnn.tensor([1])).item() == \
        pytest.approx(want, rel=1e-6)


def test_impossible_alignment_and_zero_infinity():
    lp = F.log_softmax(swiftnn.randn(3, 1, 3), dim=-1).detach().requires_grad_()
    args = (swiftnn.tensor([[1, 1]]), [3], [2])  # "1 1" needs 3 frames: fine
    assert math.isfinite(F.ctc_loss(lp, *args).item())
    short = (swiftnn.tensor([[1, 1]]), [2], [2])  # ... but not 2
    assert F.ctc_loss(lp, *short, reduction="sum").item() == math.inf
    z = F.ctc_loss(lp, *short, reduction="sum", zero_infinity=True)
    assert z.item() == 0
    z.backward()
    assert not lp.grad.numpy().any()


def test_errors():
    lp = swiftnn.zeros(4, 2, 3)
    t = swiftnn.tensor([[1, 2], [2, 1]])
    with pytest.raises(swiftnn.OutOfRangeError, match=r"ctc_loss: input_lengths\[1\] is 5, expected a value in \[0, 4\]"):
        F.ctc_loss(lp, t, [4, 5], [2, 2])
    with pytest.raises(swiftnn.ShapeError, match="input_lengths has shape \\[3\\], expected 2 value"):
        F.ctc_loss(lp, t, [4, 4, 4], [2, 2])
    with pytest.raises(swiftnn.OutOfRangeError, match="target 7 of sample 0"):
        F.ctc_loss(lp, swiftnn.tensor([[7, 1], [1, 1]]), [4, 4], [2, 2])
    with pytest.raises(swiftnn.OutOfRangeError, match=r"blank 3 must be in label range \[0, 3\)"):
        F.ctc_loss(lp, t, [4, 4], [2, 2], blank=3)
    with pytest.raises(swiftnn.ShapeError, match="holds at most 2 per sample"):
        F.ctc_loss(lp, t, [4, 4], [3, 2])
    with pytest.raises(swiftnn.DTypeError, match="log_probs has dtype int64"):
        F.ctc_loss(swiftnn.zeros(4, 2, 3, dtype=swiftnn.int64), t, [4, 4], [2, 2])
