"""How each golden op of the "reduce" area is called from Python (PyTorch's spelling)."""
import swiftnn


def _ints(a, k):
    v = a.get(k, "none")
    return None if v == "none" else [int(x) for x in v.split(",")]


def _dim(a):
    d = _ints(a, "dim")
    return None if d is None else d[0]


def _dims(a):
    d = _ints(a, "dims")
    return () if d is None else (d[0] if len(d) == 1 else tuple(d))


def _keep(a):
    return a.get("keepdim") == "1"


def _extreme(fn):
    # torch.max(t) -> tensor; torch.max(t, dim, keepdim) -> (values, indices).
    return lambda x, a: fn(x[0]) if _dim(a) is None else tuple(fn(x[0], _dim(a), keepdim=_keep(a)))


OPS = {
    "max": _extreme(swiftnn.max),
    "min": _extreme(swiftnn.min),
    "amax": lambda x, a: swiftnn.amax(x[0], _dims(a), keepdim=_keep(a)),
    "amin": lambda x, a: x[0].amin(_dims(a), keepdim=_keep(a)),
    "argmax": lambda x, a: swiftnn.argmax(x[0], _dim(a), keepdim=_keep(a)),
    "argmin": lambda x, a: x[0].argmin(dim=_dim(a), keepdim=_keep(a)),
    "softmax": lambda x, a: swiftnn.softmax(x[0], _dim(a)),
    "log_softmax": lambda x, a: x[0].log_softmax(dim=_dim(a)),
    "logsumexp": lambda x, a: swiftnn.logsumexp(x[0], _dims(a), keepdim=_keep(a)),
    "var": lambda x, a: swiftnn.var(x[0], _dims(a) or None, correction=float(a["correction"]), keepdim=_keep(a)),
    "std": lambda x, a: x[0].std(_dims(a) or None, correction=float(a["correction"]), keepdim=_keep(a)),
}
