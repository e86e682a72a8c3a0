"""Golden cases for in-place ops and views: each case copies its first input into a non-leaf
(x = a * 1), applies in-place ops to it, and returns x, so the gradients come through the
history rebased onto the in-place ops. Forward-only cases write through views (a transposed
row, a stepped slice) and check that the base tensor sees the writes."""
import numpy as np


def _x(a):
    return a * 1  # a non-leaf copy: in-place ops on it are recorded, not refused


def build(a):
    m = lambda *s: a.randn(*s)  # noqa: E731
    a.case("add_", "add_", [m(4, 5), m(5)], lambda p, q: _x(p).add_(q, alpha=0.5), alpha=0.5)
    a.case("add_same", "add_", [m(3, 4), m(3, 4)], lambda p, q: _x(p).add_(q), alpha=1)
    a.case("sub_", "sub_", [m(4, 5), m(4, 1)], lambda p, q: _x(p).sub_(q, alpha=2.0), alpha=2.0)
    a.case("mul_", "mul_", [m(4, 5), m(4, 5)], lambda p, q: _x(p).mul_(q))
    a.case("mul_bcast", "mul_", [m(2, 3, 4), m(3, 1)], lambda p, q: _x(p).mul_(q))
    a.case("div_", "div_", [m(3, 4), a.uniform(0.5, 2, 3, 4)], lambda p, q: _x(p).div_(q))
    a.case("pow_", "pow_", [a.uniform(0.5, 2, 3, 4), a.uniform(-1, 2, 3, 4)], lambda p, q: _x(p).pow_(q))
    a.case("pow_scalar_", "pow_scalar_", [a.uniform(0.5, 2, 3, 4)], lambda p: _x(p).pow_(2.5), exponent=2.5)
    a.case("clamp_", "clamp_", [np.array([[-2, -0.7, -0.2, 0.3], [0.6, 1.4, 2.2, -3]], np.float32)],
           lambda p: _x(p).clamp_(-0.5, 1.0), min=-0.5, max=1.0)
    for op in ["neg_", "exp_", "relu_", "sigmoid_", "tanh_"]:
        x = m(4, 5) if op != "relu_" else np.where(np.abs(v := m(4, 5)) < 0.05, 0.1, v).astype(np.float32)
        a.case(op, op, [x], lambda p, op=op: getattr(_x(p), op)())
    a.case("fill_", "fill_", [m(3, 4)], lambda p: _x(p).fill_(1.5), value=1.5)
    a.case("zero_", "zero_", [m(3, 4)], lambda p: _x(p).zero_())
    a.case("copy_", "copy_", [m(3, 4), m(4)], lambda p, q: _x(p).copy_(q))
    # several in-place ops on one tensor: the history is rebased at each
    a.case("chain", "chain", [m(3, 4), m(3, 4)],
           lambda p, q: _x(p).mul_(2).add_(1).mul_(q).sub_(q, alpha=0.25).tanh_())

    # writes through views reach the base (forward only: a view of a tensor that requires
    # grad is refused by SwiftNN's in-place ops)
    def view_write(p, q):
        x = p.clone()
        x.t()[1].mul_(3)            # a column, through a transposed view
        x[:, ::2].add_(q)           # a stepped slice, q broadcast over its rows
        x[2].fill_(-1)              # a row
        x.transpose(0, 1)[0].copy_(x[:, 3])  # an overlapping copy: column 3 into column 0
        return x
    a.case("view_write", "view_write", [m(4, 5), m(3)], view_write, grad=False)

    def view_layout(p):
        t = p.transpose(0, 1)
        return t.contiguous(), t[1:, ::2].contiguous(), p.expand(2, 3, 4).contiguous()
    a.case("view_contiguous", "view_contiguous", [m(3, 4)], view_layout)
