"""How each golden op of the "shape" area is called from Python (PyTorch's spelling; slices and
selects go through t[...] so the indexing code is proven against PyTorch too)."""
import swiftnn


def _ints(a, k):
    v = a.get(k, "none")
    return [] if v == "none" else [int(x) for x in v.split(",")]


def _key(x, dim, item):
    """The t[...] key that applies `item` on dimension `dim` (negative dims via Ellipsis)."""
    return (slice(None),) * dim + (item,) if dim >= 0 else (Ellipsis, item) + (slice(None),) * (-dim - 1)


def _squeeze(x, a):
    d = _ints(a, "dims")
    return x.squeeze() if not d else x.squeeze(d[0] if len(d) == 1 else tuple(d))


OPS = {
    "reshape": lambda x, a: swiftnn.reshape(x[0], _ints(a, "shape")),
    "view": lambda x, a: x[0].view(*_ints(a, "shape")),
    "flatten": lambda x, a: x[0].flatten(int(a["start"]), int(a["end"])),
    "squeeze": lambda x, a: _squeeze(x[0], a),
    "unsqueeze": lambda x, a: x[0].unsqueeze(int(a["dim"])),
    "transpose": lambda x, a: x[0].transpose(int(a["dim0"]), int(a["dim1"])),
    "permute": lambda x, a: x[0].permute(*_ints(a, "dims")),
    "slice": lambda x, a: x[0][_key(x[0], int(a["dim"]), slice(int(a["start"]), int(a["end"]), int(a["step"])))],
    "select": lambda x, a: x[0][_key(x[0], int(a["dim"]), int(a["index"]))],
    "index_select": lambda x, a: x[0].index_select(int(a["dim"]), x[1]),
    "cat": lambda x, a: swiftnn.cat(x, dim=int(a["dim"])),
    "stack": lambda x, a: swiftnn.stack(x, dim=int(a["dim"])),
    "expand": lambda x, a: x[0].expand(*_ints(a, "shape")),
}
