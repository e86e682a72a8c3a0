"""Golden cases for losses: cross_entropy (2-d and 4-d [N, C, H, W], each reduction, ignore_index
hits, label smoothing, +/-80 logits, unbatched, all targets ignored, class weights), nll_loss
(with class weights) and mse_loss."""
import numpy as np
import torch
import torch.nn.functional as F


def ce(reduction, ignore_index=-100, label_smoothing=0.0):
    return lambda x, t, w=None: F.cross_entropy(x, t, weight=w, reduction=reduction, ignore_index=ignore_index,
                                                label_smoothing=label_smoothing)


def nll(reduction, ignore_index=-100):
    return lambda x, t, w=None: F.nll_loss(x, t, weight=w, reduction=reduction, ignore_index=ignore_index)


def with_ignored(t, every, value=-100):
    t = t.copy()
    t.reshape(-1)[::every] = value
    return t


def build(a):
    for r in ("mean", "sum", "none"):
        a.case(f"ce_2d_{r}", "cross_entropy", [a.randn(6, 5, scale=2), a.ints(0, 5, 6)], ce(r),
               reduction=r, ignore_index=-100, label_smoothing=0.0)
        a.case(f"ce_2d_ignore_{r}", "cross_entropy", [a.randn(7, 4), with_ignored(a.ints(0, 4, 7), 3)], ce(r),
               reduction=r, ignore_index=-100, label_smoothing=0.0)
        a.case(f"ce_4d_{r}", "cross_entropy", [a.randn(2, 3, 4, 5), with_ignored(a.ints(0, 3, 2, 4, 5), 7)], ce(r),
               reduction=r, ignore_index=-100, label_smoothing=0.0)
        a.case(f"ce_smooth_{r}", "cross_entropy", [a.randn(5, 6), with_ignored(a.ints(0, 6, 5), 4)], ce(r, label_smoothing=0.1),
               reduction=r, ignore_index=-100, label_smoothing=0.1)
        a.case(f"nll_2d_{r}", "nll_loss", [a.randn(6, 4), with_ignored(a.ints(0, 4, 6), 4)], nll(r),
               reduction=r, ignore_index=-100)
        a.case(f"nll_3d_{r}", "nll_loss", [a.randn(2, 3, 5), with_ignored(a.ints(0, 3, 2, 5), 3)], nll(r),
               reduction=r, ignore_index=-100)
        a.case(f"mse_{r}", "mse_loss", [a.randn(3, 4), a.randn(3, 4)], lambda x, y, r=r: F.mse_loss(x, y, reduction=r),
               reduction=r)

    # An ignore_index inside [0, C): class 2 is skipped, -100 is then an out-of-range class
    # (so none here).
    a.case("ce_ignore_class", "cross_entropy", [a.randn(8, 4), np.array([0, 2, 1, 2, 3, 2, 0, 1], np.int64)],
           ce("mean", ignore_index=2), reduction="mean", ignore_index=2, label_smoothing=0.0)
    a.case("nll_ignore_class", "nll_loss", [a.randn(5, 3), np.array([1, 1, 0, 2, 1], np.int64)],
           nll("sum", ignore_index=1), reduction="sum", ignore_index=1)
    # 4-d with label smoothing and ignored positions (ignored ones add nothing to the mean).
    a.case("ce_4d_smooth_mean", "cross_entropy", [a.randn(2, 4, 3, 3), with_ignored(a.ints(0, 4, 2, 3, 3), 5)],
           ce("mean", label_smoothing=0.25), reduction="mean", ignore_index=-100, label_smoothing=0.25)
    # Logits of +/-80: a naive exp overflows, the stable form does not.
    a.case("ce_big_logits", "cross_entropy", [a.uniform(-80, 80, 6, 9), a.ints(0, 9, 6)], ce("mean"),
           reduction="mean", ignore_index=-100, label_smoothing=0.0)
    a.case("ce_big_logits_none", "cross_entropy", [a.uniform(-80, 80, 4, 7), a.ints(0, 7, 4)], ce("none"),
           reduction="none", ignore_index=-100, label_smoothing=0.0)
    # Unbatched: logits [C], target [].
    a.case("ce_unbatched", "cross_entropy", [a.randn(5), np.array(3, np.int64)], ce("mean"),
           reduction="mean", ignore_index=-100, label_smoothing=0.0)
    a.case("nll_unbatched", "nll_loss", [a.randn(4), np.array(1, np.int64)], nll("none"),
           reduction="none", ignore_index=-100)
    # Every target ignored: the mean is NaN (0 / 0) and the gradient zero, as PyTorch.
    a.case("ce_all_ignored", "cross_entropy", [a.randn(3, 4), np.full(3, -100, np.int64)], ce("mean"),
           reduction="mean", ignore_index=-100, label_smoothing=0.0)
    # mse_loss broadcasts input and target (PyTorch warns, then does it).
    a.case("mse_bcast", "mse_loss", [a.randn(3, 4), a.randn(4)], lambda x, y: F.mse_loss(x, y), reduction="mean")

    # Class weights (input 2, which PyTorch gives no gradient): 'mean' divides by the summed
    # weights of the targets not ignored, with and without label smoothing, 2-d and 4-d.
    for r in ("mean", "sum", "none"):
        a.case(f"ce_weight_{r}", "cross_entropy", [a.randn(7, 5, scale=2), with_ignored(a.ints(0, 5, 7), 3), a.uniform(0.2, 3, 5)],
               ce(r), constant=(2,), reduction=r, ignore_index=-100, label_smoothing=0.0)
        a.case(f"ce_weight_smooth_{r}", "cross_entropy", [a.randn(6, 4), with_ignored(a.ints(0, 4, 6), 4), a.uniform(0.2, 3, 4)],
               ce(r, label_smoothing=0.2), constant=(2,), reduction=r, ignore_index=-100, label_smoothing=0.2)
        a.case(f"nll_weight_{r}", "nll_loss", [a.randn(6, 4), with_ignored(a.ints(0, 4, 6), 4), a.uniform(0.2, 3, 4)],
               nll(r), constant=(2,), reduction=r, ignore_index=-100)
    a.case("ce_weight_4d_mean", "cross_entropy", [a.randn(2, 3, 4, 5), with_ignored(a.ints(0, 3, 2, 4, 5), 7), a.uniform(0.2, 3, 3)],
           ce("mean"), constant=(2,), reduction="mean", ignore_index=-100, label_smoothing=0.0)
    a.case("ce_weight_4d_smooth_mean", "cross_entropy", [a.randn(2, 4, 3, 3), with_ignored(a.ints(0, 4, 2, 3, 3), 5),
                                                         a.uniform(0.2, 3, 4)],
           ce("mean", label_smoothing=0.25), constant=(2,), reduction="mean", ignore_index=-100, label_smoothing=0.25)
    a.case("nll_weight_3d_mean", "nll_loss", [a.randn(2, 3, 5), with_ignored(a.ints(0, 3, 2, 5), 3), a.uniform(0.2, 3, 3)],
           nll("mean"), constant=(2,), reduction="mean", ignore_index=-100)
    a.case("ce_weight_unbatched", "cross_entropy", [a.randn(5), np.array(3, np.int64), a.uniform(0.2, 3, 5)], ce("mean"),
           constant=(2,), reduction="mean", ignore_index=-100, label_smoothing=0.0)
    # float64 runs the composed path (Loss64.swift).
    a.case("ce_weight_f64_smooth_mean", "cross_entropy",
           [a.randn(6, 5, dtype=np.float64), with_ignored(a.ints(0, 5, 6), 4), a.uniform(0.2, 3, 5, dtype=np.float64)],
           ce("mean", label_smoothing=0.1), constant=(2,), reduction="mean", ignore_index=-100, label_smoothing=0.1)
    a.case("nll_weight_f64_mean", "nll_loss",
           [a.randn(6, 4, dtype=np.float64), with_ignored(a.ints(0, 4, 6), 4), a.uniform(0.2, 3, 4, dtype=np.float64)],
           nll("mean"), constant=(2,), reduction="mean", ignore_index=-100)
