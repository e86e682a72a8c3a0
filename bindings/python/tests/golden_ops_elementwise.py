"""How each golden op of the "elementwise" area is called from Python (PyTorch's spelling:
functions, methods and operators are all exercised)."""
import swiftnn
from swiftnn import elementwise as F  # what swiftnn.nn.functional re-exports


def _opt(a, k):
    v = a.get(k, "none")
    return None if v == "none" else float(v)


OPS = {
    "neg": lambda x, a: -x[0],
    "exp": lambda x, a: x[0].exp(),
    "log": lambda x, a: swiftnn.log(x[0]),
    "sqrt": lambda x, a: x[0].sqrt(),
    "abs": lambda x, a: abs(x[0]),
    "tanh": lambda x, a: F.tanh(x[0]),
    "sigmoid": lambda x, a: swiftnn.sigmoid(x[0]),
    "relu": lambda x, a: F.relu(x[0]),
    "leaky_relu": lambda x, a: F.leaky_relu(x[0], negative_slope=float(a["negative_slope"])),
    "relu6": lambda x, a: F.relu6(x[0]),
    "clamp": lambda x, a: x[0].clamp(min=_opt(a, "min"), max=_opt(a, "max")),
    "pow": lambda x, a: x[0] ** x[1],
    "pow_scalar": lambda x, a: x[0] ** float(a["exponent"]),
}
