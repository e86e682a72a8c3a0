"""nn's loss modules: each gives its functional form's value (checked against PyTorch by the
golden files), keeps PyTorch's options and defaults, and raises PyTorch's errors."""
import warnings

import numpy as np
import pytest

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F


def t(a, **kw):
    return swiftnn.tensor(np.asarray(a, dtype=np.float32), **kw)


def test_modules_match_functional_and_backprop():
    x = t([[0.2, 0.7], [0.9, 0.4]], requires_grad=True)
    y = t([[0.0, 1.0], [1.0, 0.0]])
    cases = [(nn.L1Loss(), F.l1_loss(x, y)), (nn.MSELoss(reduction="sum"), F.mse_loss(x, y, reduction="sum")),
             (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(x, y, beta=0.5)), (nn.HuberLoss(delta=0.3), F.huber_loss(x, y, delta=0.3)),
             (nn.BCELoss(), F.binary_cross_entropy(x, y)), (nn.BCEWithLogitsLoss(pos_weight=t([2.0, 1.0])),
                                                         F.binary_cross_entropy_with_logits(x, y, pos_weight=t([2.0, 1.0]))),
             (nn.KLDivLoss(reduction="batchmean"), F.kl_div(x, y, reduction="batchmean"))]
    for module, expected in cases:
        got = module(x, y)
        assert got.item() == pytest.approx(expected.item(), rel=1e-6), type(module).__name__
        x.grad = None
        got.backward()
        assert x.grad is not None and x.grad.shape == (2, 2)


def test_cross_entropy_module_keeps_its_options():
    logits = t([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    target = swiftnn.tensor([0, 2])
    m = nn.CrossEntropyLoss(ignore_index=2, label_smoothing=0.1)
    assert m(logits, target).item() == pytest.approx(F.cross_entropy(logits, target, ignore_index=2, label_smoothing=0.1).item())
    assert nn.NLLLoss(reduction="none")(F.log_softmax(logits, dim=1), target).shape == (2,)
    assert "reduction=sum" in repr(nn.L1Loss(reduction="sum"))
    assert nn.L1Loss(size_average=False).reduction == "sum"  # PyTorch's legacy mapping


def test_pytorch_errors_and_warnings():
    with pytest.raises(ValueError, match="Using a target size .* that is different to the input size"):
        nn.BCELoss()(t([0.5, 0.5]), t([1.0]))
    with pytest.raises(ValueError, match="Target size .* must be the same as input size"):
        nn.BCEWithLogitsLoss()(t([0.5, 0.5]), t([1.0]))
    with pytest.raises(swiftnn.InvalidArgumentError, match="should be between 0 and 1"):
        nn.BCELoss()(t([1.5]), t([1.0]))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        nn.L1Loss(reduction="avg")(t([1.0]), t([1.0]))
    with pytest.warns(UserWarning, match="different to the input size"):
        nn.L1Loss()(t([[1.0, 2.0]]), t([1.0]))
    with pytest.warns(UserWarning, match="batchmean"):
        nn.KLDivLoss()(t([-1.0]), t([0.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.KLDivLoss(reduction="batchmean")(t([-1.0]), t([0.5]))
