"""How each golden op of the "conv" area is called from Python (torch.nn.functional's spelling)."""
import numpy as np

import swiftnn
from swiftnn import conv as F


def _pair(a, k, default=None):
    v = a.get(k, "none")
    return default if v == "none" else tuple(int(x) for x in v.split(","))


def _flag(a, k, default):
    return a[k] == "1" if k in a else default


def _vector(a, k, dtype=np.float32):
    """A running statistic written as float32 values, made in the input's dtype."""
    v = a.get(k, "none")
    return None if v == "none" else swiftnn.from_numpy(np.array([float(x) for x in v.split(",")], dtype=np.float32).astype(dtype))


def _conv2d(x, a):
    return F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=_pair(a, "stride"), padding=_pair(a, "padding"),
                    dilation=_pair(a, "dilation"), groups=int(a["groups"]))


def _max_pool2d(x, a):
    return F.max_pool2d(x[0], _pair(a, "kernel"), _pair(a, "stride"), _pair(a, "padding"), _pair(a, "dilation"),
                        ceil_mode=_flag(a, "ceil_mode", False), return_indices=True)


def _avg_pool2d(x, a):
    d = a.get("divisor_override", "none")
    return F.avg_pool2d(x[0], _pair(a, "kernel"), _pair(a, "stride"), _pair(a, "padding"),
                        ceil_mode=_flag(a, "ceil_mode", False), count_include_pad=_flag(a, "count_include_pad", True),
                        divisor_override=None if d == "none" else int(d))


def _batch_norm(x, a):
    affine = _flag(a, "affine", False)
    dtype = np.float64 if x[0].dtype == swiftnn.float64 else np.float32
    rm, rv = _vector(a, "running_mean", dtype), _vector(a, "running_var", dtype)
    y = F.batch_norm(x[0], rm, rv, x[1] if affine else None, x[2] if affine else None,
                     training=_flag(a, "training", False), momentum=float(a["momentum"]), eps=float(a["eps"]))
    return [y] + [t for t in (rm, rv) if t is not None]


OPS = {
    "conv2d": _conv2d,
    "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d,
    "adaptive_avg_pool2d": lambda x, a: F.adaptive_avg_pool2d(x[0], _pair(a, "output_size")),
    "batch_norm": _batch_norm,
    "dropout": lambda x, a: F.dropout(x[0], p=float(a["p"]), training=_flag(a, "training", True)),
    "linear": lambda x, a: F.linear(x[0], x[1], x[2] if len(x) > 2 else None),
}
