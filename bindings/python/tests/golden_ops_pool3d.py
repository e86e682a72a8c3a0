"""How each golden op of the "pool3d" area is called from Python (torch.nn.functional's spelling)."""
from swiftnn import conv as F


def _triple(a, k, default=None):
    v = a.get(k, "none")
    return default if v == "none" else tuple(int(x) for x in v.split(","))


def _flag(a, k, default):
    return a[k] == "1" if k in a else default


def _max_pool3d(x, a):
    return F.max_pool3d(x[0], _triple(a, "kernel"), _triple(a, "stride"), _triple(a, "padding"), _triple(a, "dilation"),
                        ceil_mode=_flag(a, "ceil_mode", False), return_indices=True)


def _avg_pool3d(x, a):
    d = a.get("divisor_override", "none")
    return F.avg_pool3d(x[0], _triple(a, "kernel"), _triple(a, "stride"), _triple(a, "padding"),
                        ceil_mode=_flag(a, "ceil_mode", False), count_include_pad=_flag(a, "count_include_pad", True),
                        divisor_override=None if d == "none" else int(d))


OPS = {"max_pool3d": _max_pool3d, "avg_pool3d": _avg_pool3d}
