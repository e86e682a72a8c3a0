"""Golden cases for issue 17's PyTorch-surface ops: torch.einsum (matmul, batched, dot, outer,
diagonal, trace, transpose, ellipsis broadcasting, three operands, implicit output, uppercase
labels, float64) and F.ctc_loss (padded and concatenated targets, each reduction, blank not 0,
zero_infinity, unbatched, float64). CTC inputs are logits: the case (and each language's
adapter) applies log_softmax over the classes first, as every CTC model does, so that the
gradient is a true derivative that central differences can check (PyTorch's CTC backward
assumes normalised log-probabilities)."""
import numpy as np
import torch
import torch.nn.functional as F


def ein(eq):
    return lambda *xs: torch.einsum(eq, *xs)


def ctc(blank=0, reduction="mean", zero_infinity=False):
    return lambda x, t, il, tl: F.ctc_loss(x.log_softmax(-1), t, il, tl, blank=blank, reduction=reduction,
                                           zero_infinity=zero_infinity)


def build(a):
    for name, eq, shapes in [
        ("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
        ("bmm", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("dot", "i,i->", [(6,), (6,)]),
        ("outer", "i,j->ij", [(3,), (4,)]),
        ("diagonal", "ii->i", [(4, 4)]),
        ("trace", "ii", [(4, 4)]),
        ("transpose", "ij->ji", [(3, 5)]),
        ("sum_all", "ijk->", [(2, 3, 4)]),
        ("ellipsis_bcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
        ("attention_scores", "bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
        ("three_operands", "ijk,jl,lk->i", [(3, 4, 2), (4, 5), (5, 2)]),
        ("implicit", "ij,jk", [(3, 4), (4, 2)]),
        ("uppercase", "Ab,bC->CA", [(3, 4), (4, 2)]),
        ("batch_diag", "bii->bi", [(2, 3, 3)]),
        ("bilinear", "bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ]:
        a.case(f"einsum_{name}", "einsum", [a.randn(*s) for s in shapes], ein(eq), equation=eq)
    a.case("einsum_f64", "einsum", [a.randn(3, 4, dtype=np.float64), a.randn(4, 2, dtype=np.float64)], ein("ij,jk->ik"),
           equation="ij,jk->ik")

    targets = np.array([[1, 2, 2, 3], [4, 1, 3, 0], [2, 2, 0, 0]], np.int64)
    il, tl = np.array([12, 10, 8], np.int64), np.array([4, 3, 2], np.int64)
    for r in ("mean", "sum", "none"):
        a.case(f"ctc_padded_{r}", "ctc_loss", [a.randn(12, 3, 5), targets, il, tl], ctc(reduction=r),
               blank=0, reduction=r, zero_infinity=False)
    concat = np.concatenate([targets[b, :tl[b]] for b in range(3)])
    a.case("ctc_concatenated", "ctc_loss", [a.randn(12, 3, 5), concat, il, tl], ctc(), blank=0, reduction="mean",
           zero_infinity=False)
    # blank = 4: targets use classes 0..3.
    t4 = np.array([[0, 1, 1], [3, 2, 0]], np.int64)
    a.case("ctc_blank4", "ctc_loss", [a.randn(9, 2, 5), t4, np.array([9, 7], np.int64), np.array([3, 2], np.int64)],
           ctc(blank=4, reduction="sum"), blank=4, reduction="sum", zero_infinity=False)
    # Sample 1 cannot be aligned: 4 repeated labels need 7 frames, it has 5 (infinite loss).
    rep = np.array([[1, 2, 0, 0], [3, 3, 3, 3]], np.int64)
    lens = [a.randn(8, 2, 4), rep, np.array([8, 5], np.int64), np.array([2, 4], np.int64)]
    a.case("ctc_zero_infinity", "ctc_loss", lens, ctc(reduction="mean", zero_infinity=True), blank=0, reduction="mean",
           zero_infinity=True)
    a.case("ctc_infinite_none", "ctc_loss", [a.randn(8, 2, 4), rep, np.array([8, 5], np.int64), np.array([2, 4], np.int64)],
           ctc(reduction="none"), grad=False, blank=0, reduction="none", zero_infinity=False)
    a.case("ctc_unbatched", "ctc_loss", [a.randn(10, 6), np.array([5, 1, 1, 2], np.int64), np.array(10, np.int64),
                                         np.array(4, np.int64)], ctc(reduction="none"), blank=0, reduction="none",
           zero_infinity=False)
    a.case("ctc_f64", "ctc_loss", [a.randn(7, 2, 4, dtype=np.float64), np.array([[1, 2], [3, 0]], np.int64),
                                   np.array([7, 6], np.int64), np.array([2, 1], np.int64)],
           ctc(reduction="mean"), blank=0, reduction="mean", zero_infinity=False)
