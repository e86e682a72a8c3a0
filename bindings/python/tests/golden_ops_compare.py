"""How each golden op of the "compare" area is called from Python, as a PyTorch user writes it:
operators where torch has them (==, <, &, ~), functions and Tensor methods otherwise."""
import operator

import swiftnn


def _ints(a, k):
    v = a.get(k, "none")
    return None if v == "none" else [int(x) for x in v.split(",")]


def _dims(a):
    d = _ints(a, "dims")
    return None if not d else (d[0] if len(d) == 1 else tuple(d))


def _flag(a, k, default="0"):
    return a.get(k, default) == "1"


def _number(text):
    v = float(text)
    return int(v) if v.is_integer() else v  # `t < 1` as an int, as the generator wrote it


_OPERATORS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}

OPS = {}
for _name, _op in _OPERATORS.items():
    OPS[_name] = lambda x, a, op=_op: op(x[0], x[1])
    OPS[f"{_name}_scalar"] = lambda x, a, op=_op: op(x[0], _number(a["other"]))
OPS.update({
    "isnan": lambda x, a: swiftnn.isnan(x[0]),
    "isinf": lambda x, a: x[0].isinf(),
    "isfinite": lambda x, a: swiftnn.isfinite(x[0]),
    "isclose": lambda x, a: swiftnn.isclose(x[0], x[1], rtol=float(a["rtol"]), atol=float(a["atol"]), equal_nan=_flag(a, "equal_nan")),
    "allclose": lambda x, a: swiftnn.tensor(x[0].allclose(x[1], rtol=float(a["rtol"]), atol=float(a["atol"]), equal_nan=_flag(a, "equal_nan"))),
    "equal": lambda x, a: swiftnn.tensor(swiftnn.equal(x[0], x[1])),
    "logical_and": lambda x, a: swiftnn.logical_and(x[0], x[1]),
    "logical_or": lambda x, a: x[0].logical_or(x[1]),
    "logical_xor": lambda x, a: swiftnn.logical_xor(x[0], x[1]),
    "logical_not": lambda x, a: swiftnn.logical_not(x[0]),
    "bitwise_and": lambda x, a: x[0] & x[1],
    "bitwise_or": lambda x, a: x[0] | x[1],
    "bitwise_xor": lambda x, a: x[0] ^ x[1],
    "bitwise_not": lambda x, a: ~x[0],
    "where": lambda x, a: swiftnn.where(x[0], x[1], x[2]),
    "masked_fill": lambda x, a: x[0].masked_fill(x[1], _number(a["value"])),
    "any": lambda x, a: swiftnn.any(x[0], _dims(a), keepdim=_flag(a, "keepdim")),
    "all": lambda x, a: x[0].all(_dims(a), keepdim=_flag(a, "keepdim")),
    "nonzero": lambda x, a: swiftnn.nonzero(x[0]),
    "count_nonzero": lambda x, a: swiftnn.count_nonzero(x[0], _dims(a)),
    "sort": lambda x, a: tuple(swiftnn.sort(x[0], dim=int(a["dim"]), descending=_flag(a, "descending"), stable=True)),
    "argsort": lambda x, a: x[0].argsort(dim=int(a["dim"]), descending=_flag(a, "descending"), stable=True),
    "topk": lambda x, a: tuple(x[0].topk(int(a["k"]), dim=int(a["dim"]), largest=_flag(a, "largest", "1"))),
    "gather": lambda x, a: swiftnn.gather(x[0], int(a["dim"]), x[1]),
    "scatter": lambda x, a: x[0].scatter(int(a["dim"]), x[1], x[2]),
    "scatter_value": lambda x, a: swiftnn.scatter(x[0], int(a["dim"]), x[1], value=float(a["value"])),
    "scatter_add": lambda x, a: swiftnn.scatter_add(x[0], int(a["dim"]), x[1], x[2]),
    "index_add": lambda x, a: x[0].index_add(int(a["dim"]), x[1], x[2], alpha=float(a["alpha"])),
    "maximum": lambda x, a: swiftnn.maximum(x[0], x[1]),
    "minimum": lambda x, a: x[0].minimum(x[1]),
    "clamp_tensor": lambda x, a: {"min": lambda: swiftnn.clamp(x[0], min=x[1]),
                                  "max": lambda: x[0].clamp(max=x[1])}.get(a.get("bounds"), lambda: swiftnn.clamp(x[0], x[1], x[2]))(),
})
