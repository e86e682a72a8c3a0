"""Golden cases for comparisons and logic (bool outputs), where/masked_fill, any/all, nonzero,
isclose/allclose/equal, sort/argsort/topk, gather/scatter/scatter_add/index_add, maximum/minimum
and clamp with tensor bounds. Differentiable cases keep values apart (distinct inputs, gaps
wider than twice the Swift central-difference step of 1e-2) so that perturbing never flips a
comparison, a sort order or a clamp; scatter indices never repeat a position (PyTorch leaves
the winner of a repeated scatter unspecified)."""
import numpy as np
import torch

from .elementwise import SPECIAL

GAP = 0.1


def build(a):
    d = lambda *s: a.distinct(*s, gap=GAP)  # noqa: E731
    small = lambda *s: a.ints(-2, 3, *s).astype(np.float32)  # noqa: E731  (many equal pairs)
    mask = lambda *s: a.rng.random(s) < 0.5  # noqa: E731

    # Comparisons: broadcasting, equal values, nan, mixed dtypes, numbers.
    for op, f in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)]:
        a.case(op, op, [small(3, 4), small(4)], f)
        a.case(f"{op}_nan", op, [SPECIAL.reshape(1, -1), SPECIAL[::-1].reshape(-1, 1).copy()], f)
        a.case(f"{op}_mixed", op, [small(2, 3), a.ints(-2, 3, 2, 1)], f)
        a.case(f"{op}_scalar", f"{op}_scalar", [small(3, 4)], lambda t, f=f: f(t, 0.5), other=0.5)
        a.case(f"{op}_int_scalar", f"{op}_scalar", [a.ints(-2, 3, 5)], lambda t, f=f: f(t, 1), other=1.0)
    a.case("eq_bool", "eq", [mask(3, 2), mask(2)], torch.eq)

    # Special values and closeness.
    for op, f in [("isnan", torch.isnan), ("isinf", torch.isinf), ("isfinite", torch.isfinite)]:
        a.case(op, op, [SPECIAL.copy()], f)
        a.case(f"{op}_int", op, [a.ints(-5, 5, 4)], f)
    x = a.randn(4, 5)
    y = x + a.randn(4, 5) * np.float32(1e-5) * np.abs(x)
    y[0, :3] = [np.nan, np.inf, -np.inf]
    x[0, :3] = [np.nan, np.inf, np.inf]
    a.case("isclose", "isclose", [x, y], lambda p, q: torch.isclose(p, q), rtol=1e-5, atol=1e-8, equal_nan=False)
    a.case("isclose_loose", "isclose", [x, y], lambda p, q: torch.isclose(p, q, rtol=1e-3, atol=1e-4, equal_nan=True),
           rtol=1e-3, atol=1e-4, equal_nan=True)
    a.case("isclose_int", "isclose", [a.ints(0, 3, 6), a.ints(0, 3, 6)], lambda p, q: torch.isclose(p, q), rtol=1e-5, atol=1e-8, equal_nan=False)
    a.case("allclose", "allclose", [x, y], lambda p, q: torch.tensor(torch.allclose(p, q, rtol=1e-3, atol=1e-4, equal_nan=True)),
           grad=False, rtol=1e-3, atol=1e-4, equal_nan=True)
    a.case("allclose_false", "allclose", [x, y], lambda p, q: torch.tensor(torch.allclose(p, q)), grad=False, rtol=1e-5, atol=1e-8, equal_nan=False)
    same = small(3, 3)
    a.case("equal", "equal", [same, same.copy()], lambda p, q: torch.tensor(torch.equal(p, q)), grad=False)
    a.case("equal_false", "equal", [same, small(3, 3)], lambda p, q: torch.tensor(torch.equal(p, q)), grad=False)

    # Logic on any dtype (nonzero is true, nan included) and bitwise ops on bool and int64.
    for op, f in [("logical_and", torch.logical_and), ("logical_or", torch.logical_or), ("logical_xor", torch.logical_xor)]:
        a.case(op, op, [small(3, 4), mask(4)], f)
        a.case(f"{op}_nan", op, [SPECIAL.copy(), mask(len(SPECIAL))], f)
    a.case("logical_not", "logical_not", [small(3, 4)], torch.logical_not)
    a.case("logical_not_bool", "logical_not", [mask(5)], torch.logical_not)
    for op, f in [("bitwise_and", torch.bitwise_and), ("bitwise_or", torch.bitwise_or), ("bitwise_xor", torch.bitwise_xor)]:
        a.case(op, op, [mask(3, 4), mask(4)], f)
        a.case(f"{op}_int", op, [a.ints(-9, 9, 2, 3), a.ints(-9, 9, 3)], f)
    a.case("bitwise_not", "bitwise_not", [mask(6)], torch.bitwise_not)
    a.case("bitwise_not_int", "bitwise_not", [a.ints(-9, 9, 6)], torch.bitwise_not)

    # where and masked_fill: gradients to the branch taken, broadcasting, a 0-d branch.
    a.case("where", "where", [mask(3, 4), a.randn(3, 4), a.randn(3, 4)], torch.where)
    a.case("where_broadcast", "where", [mask(3, 1), a.randn(1, 4), a.randn(3, 4)], torch.where)
    a.case("where_scalar", "where", [mask(2, 3), a.randn(2, 3), np.array(0.25, np.float32)], torch.where)
    a.case("where_int", "where", [mask(4), a.ints(-5, 5, 4), a.ints(-5, 5, 4)], torch.where, grad=False)
    a.case("masked_fill", "masked_fill", [a.randn(3, 4), mask(3, 4)], lambda t, m: t.masked_fill(m, -1.5), value=-1.5)
    a.case("masked_fill_broadcast", "masked_fill", [a.randn(2, 3, 4), mask(4)], lambda t, m: t.masked_fill(m, 2.0), value=2.0)
    a.case("masked_fill_int", "masked_fill", [a.ints(-5, 5, 3, 2), mask(3, 1)], lambda t, m: t.masked_fill(m, 7), grad=False, value=7.0)

    # any / all / nonzero / count_nonzero.
    sparse = lambda *s: (a.rng.random(s) < 0.3).astype(np.float32) * a.randn(*s)  # noqa: E731
    for op, f in [("any", torch.any), ("all", torch.all)]:
        t = (a.rng.random((3, 4)) < (0.3 if op == "any" else 0.8)).astype(np.float32)
        a.case(f"{op}_all_dims", op, [t], lambda t, f=f: f(t), dims=[], keepdim=False)
        a.case(f"{op}_dim1", op, [t], lambda t, f=f: f(t, 1), dims=[1], keepdim=False)
        a.case(f"{op}_dim0_keep", op, [mask(3, 4)], lambda t, f=f: f(t, 0, keepdim=True), dims=[0], keepdim=True)
        a.case(f"{op}_int", op, [a.ints(0, 2, 2, 5)], lambda t, f=f: f(t, -1), dims=[-1], keepdim=False)
    a.case("nonzero", "nonzero", [sparse(3, 5)], torch.nonzero)
    a.case("nonzero_bool_3d", "nonzero", [mask(2, 3, 2)], torch.nonzero)
    a.case("count_nonzero", "count_nonzero", [sparse(3, 5)], lambda t: torch.count_nonzero(t), dims=[])
    a.case("count_nonzero_dim", "count_nonzero", [sparse(3, 5)], lambda t: torch.count_nonzero(t, dim=1), dims=[1])

    # sort / argsort / topk: distinct values (gradients), ties (stable order), nan, int64.
    ties = small(4, 6)
    for desc in (False, True):
        tag = "_desc" if desc else ""
        a.case(f"sort{tag}", "sort", [d(3, 7)], lambda t, desc=desc: torch.sort(t, -1, descending=desc), dim=-1, descending=desc)
        a.case(f"sort_dim0{tag}", "sort", [d(5, 3)], lambda t, desc=desc: torch.sort(t, 0, descending=desc), dim=0, descending=desc)
        a.case(f"sort_ties{tag}", "sort", [ties], lambda t, desc=desc: torch.sort(t, dim=1, descending=desc, stable=True),
               grad=False, dim=1, descending=desc)
        a.case(f"argsort{tag}", "argsort", [ties], lambda t, desc=desc: torch.argsort(t, dim=-1, descending=desc, stable=True),
               dim=-1, descending=desc)
    a.case("sort_nan", "sort", [SPECIAL.copy()], lambda t: torch.sort(t, stable=True), grad=False, dim=-1, descending=False)
    a.case("sort_int", "sort", [a.ints(-50, 50, 2, 9)], lambda t: torch.sort(t, stable=True), dim=-1, descending=False)
    a.case("topk", "topk", [d(4, 9)], lambda t: torch.topk(t, 3), k=3, dim=-1, largest=True)
    a.case("topk_smallest_dim0", "topk", [d(6, 4)], lambda t: torch.topk(t, 2, dim=0, largest=False), k=2, dim=0, largest=False)
    a.case("topk_middle", "topk", [d(2, 5, 3)], lambda t: torch.topk(t, 5, dim=1), k=5, dim=1, largest=True)

    # gather / scatter / scatter_add / index_add, with gradients to every float input.
    a.case("gather", "gather", [a.randn(3, 5), a.ints(0, 5, 3, 4)], lambda t, i: torch.gather(t, 1, i), dim=1)
    a.case("gather_dim0", "gather", [a.randn(4, 3), a.ints(0, 4, 2, 3)], lambda t, i: torch.gather(t, 0, i), dim=0)
    a.case("gather_3d", "gather", [a.randn(2, 4, 3), a.ints(0, 4, 2, 6, 2)], lambda t, i: torch.gather(t, -2, i), dim=-2)
    perm = np.stack([a.rng.permutation(5)[:3] for _ in range(4)]).astype(np.int64)  # [4, 3], no repeats per row
    a.case("scatter", "scatter", [a.randn(4, 5), perm, a.randn(4, 3)], lambda t, i, s: torch.scatter(t, 1, i, s), dim=1)
    a.case("scatter_value", "scatter_value", [a.randn(4, 5), perm], lambda t, i: torch.scatter(t, 1, i, 0.75), dim=1, value=0.75)
    rows = np.stack([a.rng.permutation(4)[:2] for _ in range(3)], axis=1).astype(np.int64)  # [2, 3], no repeats per column
    a.case("scatter_dim0", "scatter", [a.randn(4, 3), rows, a.randn(2, 3)], lambda t, i, s: torch.scatter(t, 0, i, s), dim=0)
    a.case("scatter_add", "scatter_add", [a.randn(3, 5), a.ints(0, 5, 3, 6), a.randn(3, 6)],
           lambda t, i, s: torch.scatter_add(t, 1, i, s), dim=1)
    a.case("scatter_add_dim0", "scatter_add", [a.randn(3, 4), a.ints(0, 3, 5, 4), a.randn(5, 4)],
           lambda t, i, s: torch.scatter_add(t, 0, i, s), dim=0)
    a.case("index_add", "index_add", [a.randn(5, 3), np.array([4, 0, 4, 2], np.int64), a.randn(4, 3)],
           lambda t, i, s: torch.index_add(t, 0, i, s, alpha=0.5), dim=0, alpha=0.5)
    a.case("index_add_dim1", "index_add", [a.randn(2, 4, 3), np.array([1, 1], np.int64), a.randn(2, 2, 3)],
           lambda t, i, s: torch.index_add(t, 1, i, s), dim=1, alpha=1.0)

    # maximum / minimum / clamp with tensor bounds: operands at least GAP apart.
    p, q = np.split(d(2, 3, 4), 2)
    a.case("maximum", "maximum", [p[0], q[0]], torch.maximum)
    a.case("minimum", "minimum", [p[0], q[0]], torch.minimum)
    b3 = d(3, 3, 4)
    a.case("maximum_broadcast", "maximum", [b3[0], b3[1, :1]], torch.maximum)
    lo, x, hi = np.sort(d(3, 3, 4), axis=0)
    xs = d(3, 4) * 3
    a.case("clamp_tensor", "clamp_tensor", [xs, lo - 1, hi + 1], lambda t, l, h: torch.clamp(t, l, h))
    a.case("clamp_tensor_min", "clamp_tensor", [xs, lo[:1]], lambda t, l: torch.clamp(t, min=l), bounds="min")
    a.case("clamp_tensor_max", "clamp_tensor", [xs, hi[0]], lambda t, h: torch.clamp(t, max=h), bounds="max")
    a.case("clamp_tensor_crossed", "clamp_tensor", [xs, hi, lo], lambda t, l, h: torch.clamp(t, l, h))

    # Other dtypes (forward only: float64 gradients come with the dtype work). Results keep
    # PyTorch's dtypes: comparisons in the promoted type, selections in the operands' type.
    f64 = lambda *s: a.randn(*s, dtype=np.float64)  # noqa: E731
    a.case("eq_f64_f32", "eq", [np.round(f64(2, 3), 1), np.round(a.randn(3), 1)], torch.eq, grad=False)
    a.case("lt_int32_uint8", "lt", [a.ints(0, 6, 2, 4, dtype=np.int32), a.ints(0, 6, 4, dtype=np.uint8)], torch.lt, grad=False)
    a.case("ge_f64_scalar", "ge_scalar", [f64(5)], lambda t: torch.ge(t, 0.1), grad=False, other=0.1)
    a.case("where_f64", "where", [mask(2, 3), f64(2, 3), np.array(0.5, np.float32)], torch.where, grad=False)
    a.case("where_int32_bool", "where", [mask(4), a.ints(-3, 3, 4, dtype=np.int32), mask(4)], torch.where, grad=False)
    a.case("masked_fill_bool", "masked_fill", [mask(3, 2), mask(2)], lambda t, m: t.masked_fill(m, 1), grad=False, value=1.0)
    a.case("sort_f64", "sort", [f64(3, 5)], lambda t: torch.sort(t, dim=1, stable=True), grad=False, dim=1, descending=False)
    a.case("topk_int32", "topk", [a.ints(-50, 50, 2, 7, dtype=np.int32)], lambda t: torch.topk(t, 3), grad=False, k=3, dim=-1, largest=True)
    a.case("gather_int64", "gather", [a.ints(-9, 9, 3, 4), a.ints(0, 4, 3, 2)], lambda t, i: torch.gather(t, 1, i), grad=False, dim=1)
    a.case("gather_bool", "gather", [mask(2, 5), a.ints(0, 5, 2, 3)], lambda t, i: torch.gather(t, 1, i), grad=False, dim=1)
    a.case("scatter_add_int32", "scatter_add", [a.ints(-5, 5, 2, 4, dtype=np.int32), a.ints(0, 4, 2, 5), a.ints(-5, 5, 2, 5, dtype=np.int32)],
           lambda t, i, s: torch.scatter_add(t, 1, i, s), grad=False, dim=1)
    a.case("index_add_f64", "index_add", [f64(4, 2), np.array([3, 0, 3], np.int64), f64(3, 2)],
           lambda t, i, s: torch.index_add(t, 0, i, s, alpha=2.0), grad=False, dim=0, alpha=2.0)
    a.case("any_f64", "any", [np.array([[0.0, np.nan], [0.0, 0.0]])], lambda t: torch.any(t, 1), grad=False, dims=[1], keepdim=False)
    a.case("all_uint8", "all", [a.ints(0, 3, 3, 2, dtype=np.uint8)], lambda t: torch.all(t, 0), grad=False, dims=[0], keepdim=False)
    a.case("isnan_f64", "isnan", [np.array([np.nan, 1.0, np.inf])], torch.isnan, grad=False)
    a.case("maximum_int_float", "maximum", [a.ints(-3, 3, 4), a.randn(4)], torch.maximum, grad=False)
