"""Golden cases for elementwise math, activations and powers. Differentiable cases keep inputs
at least 0.05 from kinks (relu/abs at 0, relu6 at 0 and 6, clamp bounds) so that PyTorch's
gradient and central differences agree; forward-only cases pin down nan/inf/overflow."""
import numpy as np
import torch
import torch.nn.functional as F


def away(x, kinks, gap=0.05):
    """Moves values within `gap` of any kink to `2 * gap` beyond it (same side)."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = np.where(x[near] >= k, k + 2 * gap, k - 2 * gap)
    return x.astype(np.float32)


# Special values every forward-only case runs through (nan, +-inf, signed zeros, overflow and
# underflow thresholds of exp, the boundary of tanh's two approximations).
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 0.625, -0.625, 0.6249,
                    10.0, -10.0, 20.0, -20.0, 88.0, 88.72, 88.8, -87.0, -88.0, -100.0, -103.0, -110.0],
                   dtype=np.float32)


def build(a):
    # Smooth math: a few shapes, one with a length that is not a multiple of 8 (SIMD tails).
    a.case("neg", "neg", [a.randn(3, 4)], torch.neg)
    a.case("exp", "exp", [a.randn(2, 3, 4, scale=2)], torch.exp)
    a.case("exp_odd", "exp", [a.uniform(-6, 6, 67)], torch.exp)
    a.case("exp_scalar", "exp", [a.randn()], torch.exp)
    a.case("log", "log", [a.uniform(0.1, 5, 3, 4)], torch.log)
    a.case("sqrt", "sqrt", [a.uniform(0.1, 4, 3, 5)], torch.sqrt)
    a.case("abs", "abs", [away(a.randn(4, 5), [0])], torch.abs)
    a.case("tanh", "tanh", [a.randn(4, 5, scale=1.5)], torch.tanh)
    a.case("tanh_odd", "tanh", [a.uniform(-4, 4, 67)], torch.tanh)
    a.case("tanh_small", "tanh", [a.uniform(-0.6, 0.6, 13)], torch.tanh)
    a.case("sigmoid", "sigmoid", [a.randn(4, 5, scale=3)], torch.sigmoid)
    a.case("sigmoid_odd", "sigmoid", [a.uniform(-12, 12, 67)], torch.sigmoid)
    a.case("empty", "exp", [a.randn(0, 3)], torch.exp)

    # Activations.
    a.case("relu", "relu", [away(a.randn(4, 6), [0])], torch.relu)
    a.case("leaky_relu", "leaky_relu", [away(a.randn(4, 6), [0])],
           lambda t: F.leaky_relu(t, 0.01), negative_slope=0.01)
    a.case("leaky_relu_02", "leaky_relu", [away(a.randn(3, 5), [0])],
           lambda t: F.leaky_relu(t, 0.2), negative_slope=0.2)
    a.case("relu6", "relu6", [away(a.uniform(-3, 9, 5, 6), [0, 6])], F.relu6)
    a.case("clamp_min", "clamp", [away(a.randn(4, 5), [-0.5])],
           lambda t: torch.clamp(t, min=-0.5), min=-0.5, max=None)
    a.case("clamp_max", "clamp", [away(a.randn(4, 5), [0.5])],
           lambda t: torch.clamp(t, max=0.5), min=None, max=0.5)
    a.case("clamp_both", "clamp", [away(a.randn(4, 5), [-0.5, 0.8])],
           lambda t: torch.clamp(t, min=-0.5, max=0.8), min=-0.5, max=0.8)
    a.case("clamp_inverted", "clamp", [away(a.randn(3, 4), [0.0, 1.0])],
           lambda t: torch.clamp(t, min=1.0, max=0.0), min=1.0, max=0.0)

    # Powers with a tensor exponent: positive bases keep the exponent's gradient (log) finite.
    a.case("pow_same", "pow", [a.uniform(0.5, 2, 3, 4), a.randn(3, 4)], torch.pow)
    a.case("pow_bcast", "pow", [a.uniform(0.5, 2, 4, 1, 3), a.uniform(-2, 2, 5, 1)], torch.pow)
    a.case("pow_scalar_exp", "pow", [a.uniform(0.5, 2, 2, 3), a.uniform(1, 2)], torch.pow)
    a.case("pow_scalar_base", "pow", [np.array(2.0, dtype=np.float32), a.randn(2, 3)], torch.pow)

    # Powers with a number exponent.
    for name, e in [("2", 2.0), ("half", 0.5), ("m1_5", -1.5)]:
        a.case(f"pow_scalar_{name}", "pow_scalar", [a.uniform(0.5, 3, 3, 4)],
               lambda t, e=e: torch.pow(t, e), exponent=e)
    a.case("pow_scalar_3", "pow_scalar", [away(a.randn(3, 4), [0])], lambda t: torch.pow(t, 3.0), exponent=3.0)
    a.case("pow_scalar_0", "pow_scalar", [a.randn(2, 3)], lambda t: torch.pow(t, 0.0), exponent=0.0)
    a.case("pow_scalar_m1", "pow_scalar", [a.uniform(0.5, 3, 2, 3)], lambda t: torch.pow(t, -1.0), exponent=-1.0)

    # Forward only: nan, inf, overflow, underflow, negative arguments, kinks.
    s = SPECIAL
    for op, f in [("neg", torch.neg), ("exp", torch.exp), ("log", torch.log), ("sqrt", torch.sqrt),
                  ("abs", torch.abs), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid),
                  ("relu", torch.relu), ("relu6", F.relu6)]:
        a.case(f"{op}_special", op, [s], f, grad=False)
    a.case("log_special_neg", "log", [np.array([-1.0, -0.0, 1e-38, 1e-45, 3e38], np.float32)], torch.log, grad=False)
    a.case("leaky_relu_special", "leaky_relu", [s], lambda t: F.leaky_relu(t, 0.1), grad=False, negative_slope=0.1)
    a.case("clamp_special", "clamp", [s], lambda t: torch.clamp(t, min=-1.0, max=1.0), grad=False, min=-1.0, max=1.0)
    a.case("clamp_nan_bound", "clamp", [s], lambda t: torch.clamp(t, min=float("nan")), grad=False,
           min=float("nan"), max=None)
    for name, e in [("2", 2.0), ("half", 0.5), ("3", 3.0), ("m1", -1.0), ("m2", -2.0), ("mhalf", -0.5),
                    ("m1_5", -1.5), ("third", 1 / 3)]:
        a.case(f"pow_scalar_{name}_special", "pow_scalar", [s], lambda t, e=e: torch.pow(t, e),
               grad=False, exponent=e)
    a.case("pow_special", "pow", [np.array([-8.0, -8.0, 0.0, 0.0, np.inf, np.nan, 1.0, 2.0], np.float32),
                                  np.array([1 / 3, 2.0, -1.0, 0.0, -1.0, 0.0, np.nan, 200.0], np.float32)],
           torch.pow, grad=False)
