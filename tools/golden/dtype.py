"""Golden cases for the dtype area: tensors of every dtype through the harness of each test
language (read, run, compared dtype-exactly), then type promotion, conversions and float64
forward and backward.

The first cases move data without arithmetic (permute, cat, index_select already handle every
dtype), so they prove the three readers and comparisons on float64, int32, uint8 and bool."""
import numpy as np
import torch

from . import dtype_layers


def build(a):
    # Every dtype read, run and compared in every language (forward only: data movement).
    a.case("permute_float64", "permute", [a.randn(2, 3, dtype=np.float64)], lambda t: t.permute(1, 0),
           grad=False, dims=[1, 0])
    a.case("permute_int32", "permute", [a.ints(-2**31, 2**31 - 1, 2, 3, 2, dtype=np.int32)],
           lambda t: t.permute(2, 0, 1), dims=[2, 0, 1])
    a.case("permute_uint8", "permute", [a.ints(0, 256, 3, 4, dtype=np.uint8)], lambda t: t.permute(1, 0), dims=[1, 0])
    a.case("permute_bool", "permute", [a.ints(0, 2, 2, 5, dtype=np.bool_)], lambda t: t.permute(1, 0), dims=[1, 0])
    a.case("permute_int64_big", "permute", [np.array([[2**62 + 1, -2**63], [2**53 + 1, -1]], dtype=np.int64)],
           lambda t: t.permute(1, 0), dims=[1, 0])
    a.case("cat_bool", "cat", [a.ints(0, 2, 2, 3, dtype=np.bool_), a.ints(0, 2, 1, 3, dtype=np.bool_)],
           lambda x, y: torch.cat([x, y], 0), dim=0)
    a.case("index_select_uint8", "index_select", [a.ints(0, 256, 4, 3, dtype=np.uint8), np.array([3, 0, 3], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), dim=0)
    a.case("index_select_float64", "index_select",
           [np.array([[1.0, 1e-300, np.nan], [np.inf, -0.0, 1 + 2**-52]]), np.array([1, 0], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), grad=False, dim=0)

    promotion(a)
    conversions(a)
    float64_autograd(a)
    dtype_layers.build(a)  # last, so the cases above keep their random draws


DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]
NAMES = {np.float32: "float32", np.float64: "float64", np.int64: "int64", np.int32: "int32", np.uint8: "uint8",
         np.bool_: "bool"}


def values(a, dtype, *shape, divisor=False):
    """Inputs that exercise each dtype: wrapping integers (uint8 near 255, int32 products past
    2^31), fractions and signs for floats; no zeros where they divide."""
    if dtype == np.bool_:
        return np.ones(shape, np.bool_) if divisor else a.ints(0, 2, *shape, dtype=np.bool_)
    if dtype == np.uint8:
        return a.ints(1, 256, *shape, dtype=np.uint8)
    if dtype in (np.int32, np.int64):
        big = 70000 if dtype == np.int32 else 2**40
        v = a.ints(-big, big, *shape, dtype=dtype)
        if divisor:
            v = a.ints(1, 10, *shape, dtype=dtype) * np.where(a.ints(0, 2, *shape) == 1, 1, -1).astype(dtype)
        return v
    return a.uniform(-9, 9, *shape, dtype=dtype)


def promotion(a):
    """torch.result_type over every pair of dtypes for add/mul/div (and sub, //, % where
    PyTorch defines them), 0-dim tensors against tensors with dimensions, and Python numbers."""
    for x in DTYPES:
        for y in DTYPES:
            nx, ny = NAMES[x], NAMES[y]
            for op, f in (("add", torch.add), ("mul", torch.mul), ("div", torch.div)):
                a.case(f"{op}_{nx}_{ny}", op, [values(a, x, 2, 3), values(a, y, 3, divisor=op == "div")],
                       f, grad=False)
            if x != np.bool_ and y != np.bool_:  # PyTorch refuses - with a bool operand
                a.case(f"sub_{nx}_{ny}", "sub", [values(a, x, 3), values(a, y, 3)], torch.sub, grad=False)
            if not (x == np.bool_ and y == np.bool_):
                a.case(f"floor_divide_{nx}_{ny}", "floor_divide", [values(a, x, 4), values(a, y, 4, divisor=True)],
                       torch.floor_divide, grad=False)
                a.case(f"remainder_{nx}_{ny}", "remainder", [values(a, x, 4), values(a, y, 4, divisor=True)],
                       torch.remainder, grad=False)
            # A 0-dim tensor decides only when its category is higher.
            a.case(f"add_{nx}_0d_{ny}", "add", [values(a, x, 3), np.array(values(a, y, 1)[0])], torch.add, grad=False)
        # Python numbers on either side.
        for kind, v in (("bool", True), ("int", 300), ("int", -7), ("float", 2.5)):
            for op, f in (("add", lambda t, s: t + s), ("sub", lambda t, s: t - s), ("mul", lambda t, s: t * s),
                          ("div", lambda t, s: t / s), ("floor_divide", lambda t, s: t // s),
                          ("remainder", lambda t, s: t % s)):
                if (x == np.bool_ and kind == "bool" and op in ("sub", "floor_divide", "remainder")) or \
                        (op == "sub" and (x == np.bool_ or kind == "bool")):
                    continue  # PyTorch refuses bool subtraction
                name = f"scalar_{op}_{NAMES[x]}_{kind}{v}".replace("-", "m").replace(".", "p")
                a.case(name, "scalar_binary", [values(a, x, 5)], lambda t, f=f, v=v: f(t, v), grad=False,
                       binary=op, kind=kind, value=v, reverse=0)
                if op in ("sub", "div", "remainder") and not (kind == "bool" and op != "div"):
                    divisor = values(a, x, 5, divisor=True)
                    a.case(name + "_r", "scalar_binary", [divisor], lambda t, f=f, v=v: f(v, t) if op != "div" else v / t,
                           grad=False, binary=op, kind=kind, value=v, reverse=1)
        if x != np.bool_:
            a.case(f"neg_{NAMES[x]}", "neg", [values(a, x, 5)], torch.neg, grad=False)
            a.case(f"abs_{NAMES[x]}", "abs", [values(a, x, 5)], torch.abs, grad=False)


def conversions(a):
    """Tensor.to for every pair: truncation toward zero, wrapping, != 0 for bool, x86's result
    for NaN, inf and out-of-range floats."""
    special = np.array([300.7, -1.5, -300.2, 2.9, -2.9, np.nan, np.inf, -np.inf, 1e20, 255.9, 256.0, 0.0, -0.0, 3e9])
    for x in DTYPES:
        for y in DTYPES:
            if x == y:
                continue
            src = special.astype(x) if x in (np.float32, np.float64) else values(a, x, 7)
            a.case(f"to_{NAMES[x]}_{NAMES[y]}", "to", [src], lambda t, y=y: t.to(getattr(torch, NAMES[y])),
                   grad=False, dtype=NAMES[y])
    a.case("to_int64_big_float32", "to", [np.array([2**62 + 1, 2**53 + 1, -2**63], np.int64)],
           lambda t: t.to(torch.float32), dtype="float32")
    # float <-> float converts the gradient back.
    a.case("to_float32_float64_grad", "to", [a.randn(3, 4)], lambda t: t.to(torch.float64), dtype="float64")
    a.case("to_float64_float32_grad", "to", [a.randn(3, 4, dtype=np.float64)], lambda t: t.to(torch.float32),
           dtype="float32")


def float64_autograd(a):
    """float64 forward and backward: gradients to ~1e-10 (and central differences in Swift)."""
    f64 = dict(dtype=np.float64)
    a.case("f64_add_broadcast", "add", [a.randn(2, 3, **f64), a.randn(3, **f64)], torch.add)
    a.case("f64_sub", "sub", [a.randn(2, 3, **f64), a.randn(2, 1, **f64)], torch.sub)
    a.case("f64_mul", "mul", [a.randn(2, 3, **f64), a.randn(2, 3, **f64)], torch.mul)
    a.case("f64_div", "div", [a.randn(2, 3, **f64), a.uniform(0.5, 2, 3, **f64)], torch.div)
    a.case("f64_neg", "neg", [a.randn(4, **f64)], torch.neg)
    a.case("f64_abs", "abs", [a.uniform(0.1, 2, 4, **f64) * np.array([1, -1, 1, -1])], torch.abs)
    a.case("f64_remainder", "remainder", [a.uniform(-5, 5, 6, **f64), a.uniform(0.7, 2, 6, **f64)], torch.remainder)
    # One-input ops: the float64 form beside each float32 kernel (inputs inside each domain).
    for name, lo, hi in (("exp", -3, 3), ("log", 0.2, 4), ("sqrt", 0.2, 4), ("tanh", -3, 3), ("sigmoid", -5, 5),
                         ("sin", -3, 3), ("cos", -3, 3), ("tan", -1.2, 1.2), ("asin", -0.9, 0.9), ("acos", -0.9, 0.9),
                         ("atan", -3, 3), ("sinh", -2, 2), ("cosh", -2, 2), ("asinh", -3, 3), ("acosh", 1.2, 4),
                         ("atanh", -0.9, 0.9), ("erf", -2, 2), ("reciprocal", 0.5, 3), ("relu", -2, 2)):
        x = a.uniform(lo, hi, 2, 3, **f64)
        if name == "relu":
            x = np.where(np.abs(x) < 0.05, 0.3, x)  # away from the kink
        a.case(f"f64_{name}", name, [x], getattr(torch, name))
    for name in ("floor", "ceil", "round", "sign"):
        a.case(f"f64_{name}", name, [np.array([-2.5, -1.4, -0.5, 0.0, 0.5, 1.5, 2.6])], getattr(torch, name), grad=False)
    # Reductions and products.
    a.case("f64_sum_all", "sum", [a.randn(3, 4, **f64)], lambda t: t.sum())
    a.case("f64_sum_dim", "sum", [a.randn(2, 3, 4, **f64)], lambda t: t.sum((0, 2), keepdim=True), dims=[0, 2], keepdim=True)
    a.case("f64_mean_dim", "mean", [a.randn(2, 3, 4, **f64)], lambda t: t.mean(1), dims=[1], keepdim=False)
    a.case("int32_sum", "sum", [a.ints(-2**31, 2**31 - 1, 3, 4, dtype=np.int32)], lambda t: t.sum(1), dims=[1], keepdim=False)
    a.case("bool_sum", "sum", [a.ints(0, 2, 3, 4, dtype=np.bool_)], lambda t: t.sum(), grad=False)
    a.case("int64_sum_wraps", "sum", [np.array([2**62, 2**62, 2**62], np.int64)], lambda t: t.sum())
    a.case("f64_matmul", "matmul", [a.randn(3, 4, **f64), a.randn(4, 5, **f64)], torch.matmul)
    a.case("f64_matmul_batched", "matmul", [a.randn(2, 3, 4, **f64), a.randn(4, **f64)], torch.matmul)
    a.case("f64_matmul_broadcast", "matmul", [a.randn(2, 1, 3, 4, **f64), a.randn(3, 4, 2, **f64)], torch.matmul)
    # softmax, log_softmax and the losses (composed from float64 ops).
    import torch.nn.functional as F
    for op, f in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        a.case(f"f64_{op}_last", op, [a.randn(3, 5, **f64)], lambda t, f=f: f(t, -1), dim=-1)
        a.case(f"f64_{op}_middle", op, [a.randn(2, 4, 3, **f64)], lambda t, f=f: f(t, 1), dim=1)
    for r in ("mean", "sum", "none"):
        a.case(f"f64_ce_{r}", "cross_entropy", [a.randn(5, 4, **f64), np.array([0, 3, -100, 1, 2], np.int64)],
               lambda x, t, r=r: F.cross_entropy(x, t, reduction=r), reduction=r, ignore_index=-100, label_smoothing=0.0)
        a.case(f"f64_ce_4d_smooth_{r}", "cross_entropy", [a.randn(2, 3, 2, 2, **f64), a.ints(0, 3, 2, 2, 2)],
               lambda x, t, r=r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.2), reduction=r,
               ignore_index=-100, label_smoothing=0.2)
        a.case(f"f64_nll_{r}", "nll_loss", [a.randn(4, 3, **f64), np.array([2, 0, 1, 1], np.int64)],
               lambda x, t, r=r: F.nll_loss(x, t, reduction=r), reduction=r, ignore_index=-100)
        a.case(f"f64_mse_{r}", "mse_loss", [a.randn(3, 4, **f64), a.randn(3, 4, **f64)],
               lambda x, y, r=r: F.mse_loss(x, y, reduction=r), reduction=r)
    # Fused float32 kernels, composed in float64 (Composed64.swift).
    a.case("f64_linear", "linear", [a.randn(2, 3, 5, **f64), a.randn(4, 5, **f64), a.randn(4, **f64)], F.linear)
    a.case("f64_linear_nobias", "linear", [a.randn(6, 5, **f64), a.randn(3, 5, **f64)], F.linear)
    for op, f in (("var", torch.var), ("std", torch.std)):
        a.case(f"f64_{op}_dim", op, [a.randn(3, 5, **f64)], lambda t, f=f: f(t, 1, correction=1),
               dims=[1], correction=1, keepdim=False)
        a.case(f"f64_{op}_all_biased", op, [a.randn(2, 3, 2, **f64)], lambda t, f=f: f(t, (0, 2), correction=0, keepdim=True),
               dims=[0, 2], correction=0, keepdim=True)
    # Mixed precision: the float32 operand is converted (and its gradient converted back).
    a.case("mixed_mul_f32_f64", "mul", [a.randn(2, 3), a.randn(3, **f64)], torch.mul)
    # (one element: a float32 sum's rounding would show in the float64 gradient's tolerance)
    a.case("mixed_add_f32_0d_f64", "add", [a.randn(1), np.array(1.25)], torch.add)
