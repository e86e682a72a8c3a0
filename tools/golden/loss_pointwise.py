"""Golden cases for the pointwise losses: l1_loss, smooth_l1_loss (beta, beta=0), huber_loss
(delta), binary_cross_entropy (weight, x = 0 and 1 where the logs clamp at -100),
binary_cross_entropy_with_logits (weight, pos_weight, +/-40 logits), kl_div (log_target,
batchmean, zero targets), each reduction, broadcasting, and gradients to input and target."""
import numpy as np
import torch.nn.functional as F


def build(a):
    for r in ("mean", "sum", "none"):
        a.case(f"l1_{r}", "l1_loss", [a.randn(3, 4), a.randn(3, 4)], lambda x, y, r=r: F.l1_loss(x, y, reduction=r),
               reduction=r)
        a.case(f"smooth_l1_{r}", "smooth_l1_loss", [a.randn(4, 5, scale=2), a.randn(4, 5)],
               lambda x, y, r=r: F.smooth_l1_loss(x, y, reduction=r, beta=0.7), reduction=r, beta=0.7)
        a.case(f"huber_{r}", "huber_loss", [a.randn(4, 5, scale=2), a.randn(4, 5)],
               lambda x, y, r=r: F.huber_loss(x, y, reduction=r, delta=1.3), reduction=r, delta=1.3)
        # Probabilities kept in [0.25, 0.75], where central differences with the float32 step
        # of 1e-2 are accurate; the edges are checked forward-only below.
        a.case(f"bce_{r}", "binary_cross_entropy", [a.uniform(0.25, 0.75, 3, 4), a.uniform(0, 1, 3, 4)],
               lambda x, y, r=r: F.binary_cross_entropy(x, y, reduction=r), reduction=r)
        a.case(f"bce_logits_{r}", "binary_cross_entropy_with_logits", [a.randn(3, 4, scale=3), a.uniform(0, 1, 3, 4)],
               lambda x, y, r=r: F.binary_cross_entropy_with_logits(x, y, reduction=r), reduction=r)
        a.case(f"kl_{r}", "kl_div", [a.randn(3, 5), a.uniform(0, 1, 3, 5)],
               lambda x, y, r=r: F.kl_div(x, y, reduction=r), reduction=r, batchmean=0, log_target=0)
    a.case("smooth_l1_beta0", "smooth_l1_loss", [a.randn(6), a.randn(6)],
           lambda x, y: F.smooth_l1_loss(x, y, beta=0.0), reduction="mean", beta=0.0)
    a.case("l1_bcast", "l1_loss", [a.randn(3, 4), a.randn(4)], lambda x, y: F.l1_loss(x, y), reduction="mean")
    a.case("huber_bcast_sum", "huber_loss", [a.randn(2, 3, 4, scale=3), a.randn(3, 1)],
           lambda x, y: F.huber_loss(x, y, reduction="sum"), reduction="sum", delta=1.0)
    # Probabilities of exactly 0 and 1: PyTorch clamps each log at -100.
    a.case("bce_edges_weight", "binary_cross_entropy",
           [np.array([0.0, 1.0, 0.5, 1.0, 0.0, 0.25], np.float32), np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.5], np.float32),
            a.uniform(0.5, 2, 6)],
           lambda x, y, w: F.binary_cross_entropy(x, y, weight=w, reduction="sum"), grad=False, reduction="sum")
    a.case("bce_weight", "binary_cross_entropy", [a.uniform(0.25, 0.75, 2, 3), a.uniform(0, 1, 2, 3), a.uniform(0.5, 2, 3)],
           lambda x, y, w: F.binary_cross_entropy(x, y, weight=w), constant=(2,), reduction="mean")
    a.case("bce_logits_weights", "binary_cross_entropy_with_logits",
           [a.uniform(-40, 40, 4, 3), a.uniform(0, 1, 4, 3), a.uniform(0.5, 2, 4, 1), a.uniform(0.5, 3, 3)],
           lambda x, y, w, pw: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw), constant=(2, 3),
           reduction="mean", weight=1, pos_weight=1)
    a.case("bce_logits_pos_weight", "binary_cross_entropy_with_logits",
           [a.randn(5, 3, scale=2), a.uniform(0, 1, 5, 3), a.uniform(0.5, 3, 3)],
           lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none"), constant=(2,),
           reduction="none", weight=0, pos_weight=1)
    zeros = a.uniform(0, 1, 4, 3)
    zeros[::2, 1] = 0
    a.case("kl_batchmean_zero_targets", "kl_div", [a.randn(4, 3), zeros],
           lambda x, y: F.kl_div(x, y, reduction="batchmean"), reduction="sum", batchmean=1, log_target=0)
    a.case("kl_log_target", "kl_div", [a.randn(3, 4), a.randn(3, 4)],
           lambda x, y: F.kl_div(x, y, reduction="batchmean", log_target=True), reduction="sum", batchmean=1, log_target=1)
