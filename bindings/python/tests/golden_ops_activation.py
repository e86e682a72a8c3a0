"""How golden ops of the "activation" area are called from Python where the spelling is not
the mechanical F.<op>(*inputs, **attributes) that test_golden.op_for falls back to: module
forms and Tensor methods, PyTorch's spelling (hardsigmoid, softplus, celu, softsign and prelu
need no line)."""
import swiftnn
import swiftnn.nn as nn
import swiftnn.nn.functional as F

OPS = {
    "hardswish": lambda x, a: nn.Hardswish()(x[0]),
    "gelu": lambda x, a: nn.GELU(approximate=a["approximate"])(x[0]),
    "silu": lambda x, a: nn.SiLU()(x[0]),
    "elu": lambda x, a: nn.ELU(alpha=float(a["alpha"]))(x[0]),
    "selu": lambda x, a: swiftnn.selu(x[0]),
    "mish": lambda x, a: nn.Mish()(x[0]),
    "sin": lambda x, a: x[0].sin(),
    "cos": lambda x, a: swiftnn.cos(x[0]),
    "tan": lambda x, a: x[0].tan(),
    "asin": lambda x, a: x[0].asin(),
    "acos": lambda x, a: swiftnn.acos(x[0]),
    "atan": lambda x, a: x[0].arctan(),
    "sinh": lambda x, a: x[0].sinh(),
    "cosh": lambda x, a: swiftnn.cosh(x[0]),
    "asinh": lambda x, a: x[0].asinh(),
    "acosh": lambda x, a: swiftnn.acosh(x[0]),
    "atanh": lambda x, a: x[0].atanh(),
    "erf": lambda x, a: x[0].erf(),
    "floor": lambda x, a: x[0].floor(),
    "ceil": lambda x, a: swiftnn.ceil(x[0]),
    "round": lambda x, a: x[0].round(),
    "sign": lambda x, a: x[0].sign(),
    "reciprocal": lambda x, a: x[0].reciprocal(),
}
