"""How each golden op of the "norm" area is called from Python."""
import swiftnn.nn.functional as F


def _ln(x, a):
    shape = [int(v) for v in a["normalized_shape"].split(",")]
    return F.layer_norm(x[0], shape, x[1] if len(x) > 1 else None, x[2] if len(x) > 2 else None, eps=float(a["eps"]))


OPS = {
    "layer_norm": _ln,
    "group_norm": lambda x, a: F.group_norm(x[0], int(a["num_groups"]), x[1] if len(x) > 1 else None,
                                            x[2] if len(x) > 2 else None, eps=float(a["eps"])),
}
