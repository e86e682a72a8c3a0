"""Golden cases for the tensor core: broadcasting arithmetic, matmul, sum and mean."""
import torch


def build(a):
    # Broadcasting arithmetic: same shape, row/column broadcast, rank promotion, scalar.
    for op, f in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul)]:
        a.case(f"{op}_same", op, [a.randn(3, 4), a.randn(3, 4)], f)
        a.case(f"{op}_bcast", op, [a.randn(4, 1, 3), a.randn(5, 1)], f)
        a.case(f"{op}_scalar", op, [a.randn(2, 3), a.randn()], f)
        a.case(f"{op}_rank", op, [a.randn(3), a.randn(2, 2, 3)], f)
    a.case("div_same", "div", [a.randn(3, 4), a.uniform(0.5, 2, 3, 4)], torch.div)
    a.case("div_bcast", "div", [a.randn(2, 1, 4), a.uniform(-2, -0.5, 3, 1)], torch.div)
    a.case("div_scalar", "div", [a.uniform(0.5, 2), a.randn(2, 3)], torch.div)
    # A non-contiguous operand on the PyTorch side (a transposed view) is the same op on our
    # contiguous copy of its values.
    x = a.randn(4, 3)
    a.case("add_transposed", "add", [x.T.copy(), a.randn(3, 4)], lambda p, q: p + q)

    # matmul: every rank combination torch.matmul defines.
    a.case("matmul_2d", "matmul", [a.randn(5, 7), a.randn(7, 3)], torch.matmul)
    a.case("matmul_vv", "matmul", [a.randn(6), a.randn(6)], torch.matmul)
    a.case("matmul_mv", "matmul", [a.randn(4, 6), a.randn(6)], torch.matmul)
    a.case("matmul_vm", "matmul", [a.randn(6), a.randn(6, 4)], torch.matmul)
    a.case("matmul_batched", "matmul", [a.randn(2, 3, 4, 5), a.randn(2, 3, 5, 2)], torch.matmul)
    a.case("matmul_bcast", "matmul", [a.randn(2, 1, 4, 5), a.randn(3, 5, 2)], torch.matmul)
    a.case("matmul_batch_2d", "matmul", [a.randn(3, 4, 5), a.randn(5, 6)], torch.matmul)
    a.case("matmul_2d_batch", "matmul", [a.randn(4, 5), a.randn(3, 5, 6)], torch.matmul)
    a.case("matmul_vb", "matmul", [a.randn(5), a.randn(3, 5, 2)], torch.matmul)

    # sum / mean with dims and keepdim.
    for op, f in [("sum", torch.sum), ("mean", torch.mean)]:
        a.case(f"{op}_all", op, [a.randn(3, 4)], lambda t, f=f: f(t))
        a.case(f"{op}_dim0", op, [a.randn(3, 4, 2)], lambda t, f=f: f(t, dim=0), dims=[0], keepdim=False)
        a.case(f"{op}_neg_keep", op, [a.randn(3, 4, 2)], lambda t, f=f: f(t, dim=-1, keepdim=True), dims=[-1], keepdim=True)
        a.case(f"{op}_two", op, [a.randn(2, 3, 4)], lambda t, f=f: f(t, dim=(0, 2)), dims=[0, 2], keepdim=False)
