"""How each golden op of the "dtype" area is called from Python (PyTorch's spelling):
Tensor.to, //, %, and arithmetic with a Python number on either side."""
import swiftnn

_BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "floor_divide": lambda x, y: x // y,
    "remainder": lambda x, y: x % y,
}


def _number(a):
    kind, v = a["kind"], a["value"]
    return v != "0" if kind == "bool" else int(v) if kind == "int" else float(v)


def _scalar_binary(x, a):
    f, n = _BINARY[a["binary"]], _number(a)
    return f(n, x[0]) if a["reverse"] == "1" else f(x[0], n)


OPS = {
    "to": lambda x, a: x[0].to(getattr(swiftnn, a["dtype"])),
    "floor_divide": lambda x, a: x[0] // x[1],
    "remainder": lambda x, a: x[0] % x[1],
    "scalar_binary": _scalar_binary,
}
