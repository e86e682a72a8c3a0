"""Golden cases for the activations over relu (hardswish, gelu, silu, softplus, elu, mish, ...),
trigonometry, erf, rounding and reciprocal. Differentiable cases keep inputs at least 0.05 from
kinks (hardswish/hardsigmoid at +-3, the ELU family at 0, prelu at 0, the steps of floor, ceil,
round and sign) so that PyTorch's gradient and central differences agree; forward-only cases
run the special values through every op."""
import numpy as np
import torch
import torch.nn.functional as F

from .elementwise import SPECIAL, away

INTEGERS = list(range(-4, 5))
HALVES = [k + 0.5 for k in range(-5, 5)]

# Forward only: nan, +-inf, signed zeros, the kinks, the softplus threshold, huge arguments.
KINKS = np.array([-3.0, 3.0, 2.5, -2.5, 0.5, -0.5, 1.5, 21.0, 1.0, -1.0, 25.0, -25.0], np.float32)
SPECIAL_ACT = np.concatenate([SPECIAL, KINKS])
# gelu's erf form: PyTorch's CPU kernel gives nan at +inf (the formula's limit is inf).
SPECIAL_GELU = SPECIAL_ACT[~np.isposinf(SPECIAL_ACT)]
# sinh and cosh: PyTorch's CPU kernel overflows to inf from about 88.72 (through exp); libm's
# sinhf/coshf stay finite up to about 89.4, where the result itself leaves float32.
SPECIAL_HYP = SPECIAL_ACT[~np.isin(SPECIAL_ACT, np.float32([88.72, 88.8]))]


def build(a):
    # Activations; one shape per op with a length that is not a multiple of 8.
    a.case("hardswish", "hardswish", [away(a.uniform(-5, 5, 5, 7), [-3, 3])], F.hardswish)
    a.case("hardsigmoid", "hardsigmoid", [away(a.uniform(-5, 5, 4, 6), [-3, 3])], F.hardsigmoid)
    a.case("gelu", "gelu", [a.randn(4, 6, scale=2)], F.gelu, approximate="none")
    a.case("gelu_odd", "gelu", [a.uniform(-6, 6, 67)], F.gelu, approximate="none")
    a.case("gelu_tanh", "gelu", [a.randn(4, 6, scale=2)], lambda t: F.gelu(t, approximate="tanh"), approximate="tanh")
    a.case("silu", "silu", [a.randn(4, 6, scale=3)], F.silu)
    a.case("softplus", "softplus", [a.randn(4, 6, scale=3)], F.softplus, beta=1.0, threshold=20.0)
    a.case("softplus_beta", "softplus", [away(a.randn(3, 7, scale=3), [2.5])],
           lambda t: F.softplus(t, beta=2.0, threshold=5.0), beta=2.0, threshold=5.0)
    a.case("elu", "elu", [away(a.randn(4, 6), [0])], F.elu, alpha=1.0)
    a.case("elu_alpha", "elu", [away(a.randn(3, 5), [0])], lambda t: F.elu(t, alpha=0.5), alpha=0.5)
    a.case("celu", "celu", [away(a.randn(3, 5), [0])], lambda t: F.celu(t, alpha=2.0), alpha=2.0)
    a.case("selu", "selu", [away(a.randn(4, 5), [0])], F.selu)
    a.case("mish", "mish", [a.randn(4, 6, scale=3)], F.mish)
    a.case("softsign", "softsign", [away(a.randn(4, 5, scale=2), [0])], F.softsign)
    a.case("prelu_channels", "prelu", [away(a.randn(2, 3, 4), [0]), a.uniform(0.1, 0.5, 3)], F.prelu)
    a.case("prelu_nchw", "prelu", [away(a.randn(2, 3, 2, 2), [0]), a.uniform(0.1, 0.5, 3)], F.prelu)
    a.case("prelu_single", "prelu", [away(a.randn(3, 4), [0]), np.array([0.25], np.float32)], F.prelu)

    # Trigonometry, hyperbolic functions and erf, inside their domains (away from poles).
    a.case("sin", "sin", [a.uniform(-6, 6, 4, 5)], torch.sin)
    a.case("cos", "cos", [a.uniform(-6, 6, 4, 5)], torch.cos)
    a.case("tan", "tan", [a.uniform(-1.1, 1.1, 4, 5)], torch.tan)
    a.case("asin", "asin", [a.uniform(-0.9, 0.9, 4, 5)], torch.asin)
    a.case("acos", "acos", [a.uniform(-0.9, 0.9, 4, 5)], torch.acos)
    a.case("atan", "atan", [a.randn(4, 5, scale=3)], torch.atan)
    a.case("sinh", "sinh", [a.uniform(-3, 3, 4, 5)], torch.sinh)
    a.case("cosh", "cosh", [a.uniform(-3, 3, 4, 5)], torch.cosh)
    a.case("asinh", "asinh", [a.randn(4, 5, scale=3)], torch.asinh)
    a.case("acosh", "acosh", [a.uniform(1.2, 5, 4, 5)], torch.acosh)
    a.case("atanh", "atanh", [a.uniform(-0.8, 0.8, 4, 5)], torch.atanh)
    a.case("erf", "erf", [a.randn(4, 5, scale=1.5)], torch.erf)
    a.case("erf_odd", "erf", [a.uniform(-4, 4, 67)], torch.erf)

    # Rounding (zero gradient) and reciprocal.
    a.case("floor", "floor", [away(a.uniform(-4, 4, 4, 5), INTEGERS)], torch.floor)
    a.case("ceil", "ceil", [away(a.uniform(-4, 4, 4, 5), INTEGERS)], torch.ceil)
    a.case("round", "round", [away(a.uniform(-4, 4, 4, 5), HALVES)], torch.round)
    a.case("sign", "sign", [away(a.randn(4, 5), [0])], torch.sign)
    a.case("reciprocal", "reciprocal", [away(a.uniform(-3, 3, 4, 5), [0], gap=0.5)], torch.reciprocal)

    # Forward only: special values, kinks, halves for round (to even).
    s = SPECIAL_ACT
    for op, f in [("hardswish", F.hardswish), ("hardsigmoid", F.hardsigmoid), ("silu", F.silu),
                  ("selu", F.selu), ("mish", F.mish), ("softsign", F.softsign),
                  ("sin", torch.sin), ("cos", torch.cos), ("atan", torch.atan), ("asinh", torch.asinh), ("acosh", torch.acosh), ("atanh", torch.atanh),
                  ("asin", torch.asin), ("acos", torch.acos), ("erf", torch.erf), ("floor", torch.floor),
                  ("ceil", torch.ceil), ("round", torch.round), ("sign", torch.sign), ("reciprocal", torch.reciprocal)]:
        a.case(f"{op}_special", op, [s], f, grad=False)
    a.case("sinh_special", "sinh", [SPECIAL_HYP], torch.sinh, grad=False)
    a.case("cosh_special", "cosh", [SPECIAL_HYP], torch.cosh, grad=False)
    a.case("gelu_special", "gelu", [SPECIAL_GELU], F.gelu, grad=False, approximate="none")
    a.case("gelu_tanh_special", "gelu", [s], lambda t: F.gelu(t, approximate="tanh"), grad=False, approximate="tanh")
    a.case("softplus_special", "softplus", [s], F.softplus, grad=False, beta=1.0, threshold=20.0)
    a.case("elu_special", "elu", [s], F.elu, grad=False, alpha=1.0)
    a.case("celu_special", "celu", [s], lambda t: F.celu(t, alpha=0.5), grad=False, alpha=0.5)
    a.case("prelu_special", "prelu", [s, np.array([0.25], np.float32)], F.prelu, grad=False)
    a.case("round_halves", "round", [np.array(HALVES + [0.49999997, -0.49999997, 1e7 + 1, 8388609.0], np.float32)],
           torch.round, grad=False)
