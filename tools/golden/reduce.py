"""Golden cases for reductions beyond sum/mean: max/min (with indices), amax/amin, argmax/argmin,
softmax, log_softmax, logsumexp, var and std. Inputs of max-like ops have no ties and gaps wider
than the central-difference step (a.distinct(..., gap=0.1)); softmax-like ops also get logits
of +/-80 to prove the max is subtracted."""
import torch

GAP = 0.1  # > 2 * the Swift central-difference step (1e-2): perturbing never changes a winner


def build(a):
    d = lambda *s: a.distinct(*s, gap=GAP)

    # max / min over one dimension -> (values, int64 indices); without dim -> the extreme.
    for op, f in [("max", torch.max), ("min", torch.min)]:
        a.case(f"{op}_dim1", op, [d(3, 4, 5)], lambda t, f=f: f(t, 1), dim=1, keepdim=False)
        a.case(f"{op}_dim0", op, [d(4, 3)], lambda t, f=f: f(t, 0), dim=0, keepdim=False)
        a.case(f"{op}_neg_keep", op, [d(2, 3, 11)], lambda t, f=f: f(t, -1, keepdim=True), dim=-1, keepdim=True)
        a.case(f"{op}_mid_keep", op, [d(2, 5, 3)], lambda t, f=f: f(t, -2, keepdim=True), dim=-2, keepdim=True)
        a.case(f"{op}_1d", op, [d(9)], lambda t, f=f: f(t, 0), dim=0, keepdim=False)
        a.case(f"{op}_scalar", op, [a.randn()], lambda t, f=f: f(t, 0), dim=0, keepdim=False)
        a.case(f"{op}_all", op, [d(3, 4)], lambda t, f=f: f(t), dim=None)

    # amax / amin over several dimensions, negative dims, keepdim, all.
    for op, f in [("amax", torch.amax), ("amin", torch.amin)]:
        a.case(f"{op}_all", op, [d(3, 4)], lambda t, f=f: f(t), dims=[], keepdim=False)
        a.case(f"{op}_last", op, [d(3, 10)], lambda t, f=f: f(t, -1), dims=[-1], keepdim=False)
        a.case(f"{op}_first_keep", op, [d(4, 3, 2)], lambda t, f=f: f(t, 0, keepdim=True), dims=[0], keepdim=True)
        a.case(f"{op}_two", op, [d(2, 3, 4)], lambda t, f=f: f(t, (0, 2)), dims=[0, 2], keepdim=False)
        a.case(f"{op}_two_keep", op, [d(2, 3, 4)], lambda t, f=f: f(t, (-1, 1), keepdim=True), dims=[-1, 1], keepdim=True)

    # argmax / argmin: flattened, per dim, negative with keepdim (int64 outputs: no gradients).
    for op, f in [("argmax", torch.argmax), ("argmin", torch.argmin)]:
        a.case(f"{op}_flat", op, [d(3, 5)], lambda t, f=f: f(t), grad=False, dim=None, keepdim=False)
        a.case(f"{op}_flat_keep", op, [d(2, 3, 2)], lambda t, f=f: f(t, keepdim=True), grad=False, dim=None, keepdim=True)
        a.case(f"{op}_dim1", op, [d(4, 6, 2)], lambda t, f=f: f(t, 1), grad=False, dim=1, keepdim=False)
        a.case(f"{op}_neg_keep", op, [d(3, 13)], lambda t, f=f: f(t, -1, keepdim=True), grad=False, dim=-1, keepdim=True)

    # softmax / log_softmax: last dim (rows, with SIMD tails), middle and first dims (strided
    # column strips, with tails), a 1-d and a 0-d input, and +/-80 logits.
    for op, f in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
        a.case(f"{op}_last", op, [a.randn(4, 7)], lambda t, f=f: f(t, -1), dim=-1)
        a.case(f"{op}_last_long", op, [a.randn(3, 19, scale=3)], lambda t, f=f: f(t, 1), dim=1)
        a.case(f"{op}_middle", op, [a.randn(2, 5, 3)], lambda t, f=f: f(t, 1), dim=1)
        a.case(f"{op}_middle_wide", op, [a.randn(2, 4, 11)], lambda t, f=f: f(t, -2), dim=-2)
        a.case(f"{op}_first", op, [a.randn(3, 4, 2)], lambda t, f=f: f(t, 0), dim=0)
        a.case(f"{op}_1d", op, [a.randn(6)], lambda t, f=f: f(t, 0), dim=0)
        a.case(f"{op}_scalar", op, [a.randn()], lambda t, f=f: f(t, 0), dim=0)
        a.case(f"{op}_big", op, [a.uniform(-80, 80, 3, 9)], lambda t, f=f: f(t, -1), dim=-1)
        a.case(f"{op}_big_middle", op, [a.uniform(-80, 80, 2, 6, 3)], lambda t, f=f: f(t, 1), dim=1)

    # logsumexp over one or several dimensions.
    a.case("logsumexp_last", "logsumexp", [a.randn(3, 5)], lambda t: torch.logsumexp(t, -1), dims=[-1], keepdim=False)
    a.case("logsumexp_first_keep", "logsumexp", [a.randn(4, 3)], lambda t: torch.logsumexp(t, 0, keepdim=True), dims=[0], keepdim=True)
    a.case("logsumexp_two", "logsumexp", [a.randn(2, 3, 4)], lambda t: torch.logsumexp(t, (0, 2)), dims=[0, 2], keepdim=False)
    a.case("logsumexp_middle_keep", "logsumexp", [a.randn(2, 3, 4)], lambda t: torch.logsumexp(t, 1, keepdim=True), dims=[1], keepdim=True)
    a.case("logsumexp_big", "logsumexp", [a.uniform(-80, 80, 3, 10)], lambda t: torch.logsumexp(t, 1), dims=[1], keepdim=False)

    # var / std: unbiased (correction 1), population (0), several dims, keepdim, all.
    for op, f in [("var", torch.var), ("std", torch.std)]:
        a.case(f"{op}_dim1", op, [a.randn(3, 5)], lambda t, f=f: f(t, 1), dims=[1], correction=1.0, keepdim=False)
        a.case(f"{op}_all", op, [a.randn(4, 3)], lambda t, f=f: f(t), dims=[], correction=1.0, keepdim=False)
        a.case(f"{op}_pop_keep", op, [a.randn(2, 6)], lambda t, f=f: f(t, -1, correction=0, keepdim=True), dims=[-1], correction=0.0, keepdim=True)
        a.case(f"{op}_two", op, [a.randn(2, 3, 4)], lambda t, f=f: f(t, (0, 2)), dims=[0, 2], correction=1.0, keepdim=False)
