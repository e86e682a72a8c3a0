"""Golden cases for 3-D pooling (area "pool3d"): max_pool3d with its indices and avg_pool3d.

Attributes are (depth, height, width) triples written as "d,h,w"."""
import torch.nn.functional as F


def triple(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v, v]


def max_pool3d_case(a, name, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    a.case(name, "max_pool3d", [x],
           lambda t: F.max_pool3d(t, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
           kernel=triple(kernel), stride=triple(stride) if stride is not None else None, padding=triple(padding),
           dilation=triple(dilation), ceil_mode=ceil_mode)


def avg_pool3d_case(a, name, x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                    divisor_override=None):
    a.case(name, "avg_pool3d", [x],
           lambda t: F.avg_pool3d(t, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override),
           kernel=triple(kernel), stride=triple(stride) if stride is not None else None, padding=triple(padding),
           ceil_mode=ceil_mode, count_include_pad=count_include_pad, divisor_override=divisor_override)


def build(a):
    # max_pool3d: no ties (gaps wider than the central-difference step); padding, dilation,
    # ceil_mode partial windows, unequal sizes per axis, unbatched.
    gap = 0.05
    max_pool3d_case(a, "max3d_2", a.distinct(2, 2, 4, 4, 4, gap=gap), 2)
    max_pool3d_case(a, "max3d_3s2p1", a.distinct(1, 2, 5, 6, 7, gap=gap), 3, 2, 1)
    max_pool3d_case(a, "max3d_ceil", a.distinct(1, 1, 5, 5, 6, gap=gap), 2, 2, ceil_mode=True)
    max_pool3d_case(a, "max3d_dilation", a.distinct(1, 2, 6, 6, 6, gap=gap), 2, 1, 1, dilation=2)
    max_pool3d_case(a, "max3d_nonsquare", a.distinct(2, 1, 4, 6, 8, gap=gap), (1, 2, 3), (1, 2, 2), (0, 1, 1))
    max_pool3d_case(a, "max3d_unbatched", a.distinct(2, 4, 5, 5, gap=gap), 2, 1)

    # avg_pool3d: padding counted or not, ceil_mode partial windows, divisor override.
    avg_pool3d_case(a, "avg3d_2", a.randn(2, 2, 4, 4, 4), 2)
    avg_pool3d_case(a, "avg3d_pad_incl", a.randn(1, 2, 5, 6, 7), 3, 2, 1)
    avg_pool3d_case(a, "avg3d_pad_excl", a.randn(1, 2, 5, 6, 7), 3, 2, 1, count_include_pad=False)
    avg_pool3d_case(a, "avg3d_ceil_pad_excl", a.randn(1, 1, 6, 5, 7), 3, 2, 1, ceil_mode=True, count_include_pad=False)
    avg_pool3d_case(a, "avg3d_ceil_pad_incl", a.randn(1, 1, 6, 5, 7), 3, 2, 1, ceil_mode=True)
    avg_pool3d_case(a, "avg3d_divisor", a.randn(1, 2, 4, 4, 4), 3, 1, 1, divisor_override=5)
    avg_pool3d_case(a, "avg3d_nonsquare", a.randn(2, 1, 3, 5, 8), (1, 2, 3), (1, 1, 2))
