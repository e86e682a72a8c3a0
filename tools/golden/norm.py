"""Golden cases for layer_norm (1-3 normalized dims, with/without weight and bias, large
offsets, a constant row) and group_norm (1 group, C groups = instance norm, 2-d/3-d/4-d input,
with/without affine)."""
import numpy as np
import torch.nn.functional as F


def build(a):
    a.case("ln_last", "layer_norm", [a.randn(4, 6), a.randn(6), a.randn(6)],
           lambda x, w, b: F.layer_norm(x, [6], w, b), normalized_shape=[6], eps=1e-5)
    a.case("ln_two_dims", "layer_norm", [a.randn(2, 3, 4, 5, scale=3), a.randn(4, 5), a.randn(4, 5)],
           lambda x, w, b: F.layer_norm(x, [4, 5], w, b, eps=1e-3), normalized_shape=[4, 5], eps=1e-3)
    a.case("ln_no_affine", "layer_norm", [a.randn(3, 2, 7)], lambda x: F.layer_norm(x, [2, 7]),
           normalized_shape=[2, 7], eps=1e-5)
    a.case("ln_weight_only", "layer_norm", [a.randn(5, 8), a.randn(8)], lambda x, w: F.layer_norm(x, [8], w),
           normalized_shape=[8], eps=1e-5)
    # Rows far from zero: the variance is computed from centred values, not E[x^2] - E[x]^2.
    a.case("ln_offset", "layer_norm", [a.randn(3, 16) + 10, a.randn(16), a.randn(16)],
           lambda x, w, b: F.layer_norm(x, [16], w, b), normalized_shape=[16], eps=1e-5)
    a.case("ln_whole", "layer_norm", [a.randn(2, 3, 4), a.randn(2, 3, 4), a.randn(2, 3, 4)],
           lambda x, w, b: F.layer_norm(x, [2, 3, 4], w, b), normalized_shape=[2, 3, 4], eps=1e-5)
    a.case("gn_4d", "group_norm", [a.randn(2, 6, 3, 4), a.randn(6), a.randn(6)],
           lambda x, w, b: F.group_norm(x, 3, w, b), num_groups=3, eps=1e-5)
    a.case("gn_one_group", "group_norm", [a.randn(3, 4, 5), a.randn(4), a.randn(4)],
           lambda x, w, b: F.group_norm(x, 1, w, b), num_groups=1, eps=1e-5)
    a.case("gn_instance", "group_norm", [a.randn(2, 4, 3, 3, scale=2), a.randn(4), a.randn(4)],
           lambda x, w, b: F.group_norm(x, 4, w, b, eps=1e-4), num_groups=4, eps=1e-4)
    a.case("gn_2d_no_affine", "group_norm", [a.randn(5, 8)], lambda x: F.group_norm(x, 2), num_groups=2, eps=1e-5)
