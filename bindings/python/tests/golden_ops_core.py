"""How each golden op of the "core" area is called from Python (PyTorch's spelling)."""
import swiftnn


def _ints(a, k):
    v = a.get(k, "none")
    return None if v == "none" else [int(x) for x in v.split(",")]


def _dim(a):
    d = _ints(a, "dims")
    return None if d is None else (d[0] if len(d) == 1 else tuple(d))


OPS = {
    "add": lambda x, a: x[0] + x[1],
    "sub": lambda x, a: x[0] - x[1],
    "mul": lambda x, a: x[0] * x[1],
    "div": lambda x, a: x[0] / x[1],
    "matmul": lambda x, a: x[0] @ x[1],
    "sum": lambda x, a: x[0].sum(dim=_dim(a), keepdim=a.get("keepdim") == "1") if "dims" in a else x[0].sum(),
    "mean": lambda x, a: x[0].mean(dim=_dim(a), keepdim=a.get("keepdim") == "1") if "dims" in a else x[0].mean(),
}
