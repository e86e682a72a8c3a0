"""Golden cases for convolution, pooling, batch norm, dropout and linear (area "conv").

Attributes are (height, width) pairs written as "h,w". batch_norm's running statistics are
state rather than inputs (PyTorch refuses them with requires_grad), so they travel as attribute
lists of float32 values (`running_mean=...`) and come back, updated, as extra outputs.
"""
import numpy as np
import torch
import torch.nn.functional as F


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def conv_case(a, name, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    inputs = [x, w] + ([b] if b is not None else [])
    a.case(name, "conv2d", inputs,
           lambda *t: F.conv2d(t[0], t[1], t[2] if len(t) > 2 else None, stride, padding, dilation, groups),
           stride=pair(stride), padding=pair(padding), dilation=pair(dilation), groups=groups)


def max_pool_case(a, name, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    a.case(name, "max_pool2d", [x],
           lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
           kernel=pair(kernel), stride=pair(stride) if stride is not None else None, padding=pair(padding),
           dilation=pair(dilation), ceil_mode=ceil_mode)


def avg_pool_case(a, name, x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                  divisor_override=None):
    a.case(name, "avg_pool2d", [x],
           lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override),
           kernel=pair(kernel), stride=pair(stride) if stride is not None else None, padding=pair(padding),
           ceil_mode=ceil_mode, count_include_pad=count_include_pad, divisor_override=divisor_override)


def batch_norm_case(a, name, x, channels, affine=True, stats=True, training=True, momentum=0.1, eps=1e-5):
    inputs = [x]
    if affine:
        inputs += [a.uniform(0.5, 1.5, channels), a.randn(channels, scale=0.5)]
    rm = a.randn(channels, scale=0.5) if stats else None
    rv = a.uniform(0.5, 2.0, channels) if stats else None

    def fn(t, w=None, b=None):
        m = torch.from_numpy(rm.copy()) if stats else None
        v = torch.from_numpy(rv.copy()) if stats else None
        y = F.batch_norm(t, m, v, w, b, training, momentum, eps)
        return (y, m, v) if stats else y

    floats = lambda arr: [float(v) for v in arr] if arr is not None else None
    a.case(name, "batch_norm", inputs, fn, affine=affine, training=training, momentum=momentum, eps=eps,
           running_mean=floats(rm), running_var=floats(rv))


def build(a):
    # conv2d: plain, stride 2 with padding, dilation, groups, depthwise, no bias, 1x1,
    # non-square kernel and parameters, unbatched input. Large planes (>= 512 positions) take
    # the one-image-per-GEMM path (1x1 stride 1: no im2col at all); small planes batch
    # several images per GEMM (up to 512 columns), with a partial last batch in conv_partial_batch.
    conv_case(a, "conv_basic", a.randn(2, 3, 6, 5), a.randn(4, 3, 3, 3), a.randn(4))
    conv_case(a, "conv_stride2_pad1", a.randn(2, 3, 7, 7), a.randn(4, 3, 3, 3), a.randn(4), stride=2, padding=1)
    conv_case(a, "conv_dilation2", a.randn(1, 2, 9, 8), a.randn(3, 2, 3, 3), a.randn(3), padding=2, dilation=2)
    conv_case(a, "conv_groups2", a.randn(2, 4, 6, 6), a.randn(6, 2, 3, 3), a.randn(6), padding=1, groups=2)
    conv_case(a, "conv_depthwise", a.randn(2, 3, 6, 6), a.randn(3, 1, 3, 3), stride=(2, 1), padding=1, groups=3)
    conv_case(a, "conv_nobias", a.randn(2, 3, 5, 5), a.randn(2, 3, 2, 2))
    conv_case(a, "conv_1x1", a.randn(2, 5, 4, 4), a.randn(3, 5, 1, 1), a.randn(3))
    conv_case(a, "conv_nonsquare", a.randn(2, 2, 7, 9), a.randn(3, 2, 2, 4), a.randn(3), stride=(1, 2), padding=(1, 0))
    conv_case(a, "conv_unbatched", a.randn(3, 6, 6), a.randn(2, 3, 3, 3), a.randn(2), padding=1)
    conv_case(a, "conv_1x1_large", a.randn(2, 3, 32, 32), a.randn(4, 3, 1, 1), a.randn(4))
    conv_case(a, "conv_large_plane", a.randn(2, 2, 32, 33), a.randn(3, 2, 3, 3), a.randn(3), padding=1)
    conv_case(a, "conv_partial_batch", a.randn(3, 2, 22, 22), a.randn(2, 1, 3, 3), a.randn(2), groups=2)
    conv_case(a, "conv_groups_stride_dilation", a.randn(2, 4, 11, 10), a.randn(4, 2, 3, 2), a.randn(4),
              stride=(2, 3), padding=(2, 1), dilation=(2, 3), groups=2)
    # The lecture's 1-D example: z in R^6 correlated with w in R^3 is W z for a 4x6 band matrix.
    conv_case(a, "conv_lecture_1d", a.randn(1, 1, 1, 6), a.randn(1, 1, 1, 3))

    # max_pool2d (with indices): no ties, gaps wider than the central-difference step.
    gap = 0.05
    max_pool_case(a, "max_pool_2x2", a.distinct(2, 3, 6, 6, gap=gap), 2)
    max_pool_case(a, "max_pool_3s2p1", a.distinct(1, 2, 7, 7, gap=gap), 3, 2, 1)
    max_pool_case(a, "max_pool_ceil", a.distinct(1, 2, 7, 7, gap=gap), 2, 2, ceil_mode=True)
    max_pool_case(a, "max_pool_ceil_pad", a.distinct(2, 2, 6, 5, gap=gap), 3, 2, 1, ceil_mode=True)
    max_pool_case(a, "max_pool_dilation", a.distinct(1, 2, 8, 8, gap=gap), 2, 1, 1, dilation=2)
    max_pool_case(a, "max_pool_nonsquare", a.distinct(1, 2, 6, 9, gap=gap), (2, 3), (2, 2), (1, 1))
    max_pool_case(a, "max_pool_unbatched", a.distinct(2, 5, 5, gap=gap), 2, 1)
    max_pool_case(a, "max_pool_arange", np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4), 2)

    # avg_pool2d: padding counted or not, ceil_mode partial windows, divisor override.
    avg_pool_case(a, "avg_pool_2x2", a.randn(2, 3, 6, 6), 2)
    avg_pool_case(a, "avg_pool_pad_incl", a.randn(1, 2, 7, 7), 3, 2, 1)
    avg_pool_case(a, "avg_pool_pad_excl", a.randn(1, 2, 7, 7), 3, 2, 1, count_include_pad=False)
    avg_pool_case(a, "avg_pool_ceil", a.randn(1, 2, 7, 7), 2, 2, ceil_mode=True)
    avg_pool_case(a, "avg_pool_ceil_pad_excl", a.randn(1, 2, 6, 7), 3, 2, 1, ceil_mode=True, count_include_pad=False)
    avg_pool_case(a, "avg_pool_ceil_pad_incl", a.randn(1, 2, 6, 7), 3, 2, 1, ceil_mode=True)
    avg_pool_case(a, "avg_pool_divisor", a.randn(1, 2, 6, 6), 3, 1, 1, divisor_override=4)
    avg_pool_case(a, "avg_pool_nonsquare", a.randn(2, 1, 5, 8), (2, 3), (1, 2))

    # adaptive_avg_pool2d: odd sizes that do not divide, upsampling, global, unbatched.
    for name, shape, out in [("adaptive_odd", (2, 3, 7, 9), (3, 5)), ("adaptive_up", (1, 2, 5, 5), (7, 3)),
                             ("adaptive_global", (2, 3, 6, 6), (1, 1)), ("adaptive_unbatched", (3, 8, 8), (3, 3))]:
        a.case(name, "adaptive_avg_pool2d", [a.randn(*shape)],
               lambda t, out=out: F.adaptive_avg_pool2d(t, out), output_size=list(out))

    # batch_norm: training (batch statistics, running statistics updated) and evaluation.
    batch_norm_case(a, "bn2d_train", a.randn(4, 3, 5, 5, scale=2.0) + 1, 3)
    batch_norm_case(a, "bn2d_eval", a.randn(4, 3, 5, 5, scale=2.0) + 1, 3, training=False)
    batch_norm_case(a, "bn1d_train", a.randn(8, 5), 5, momentum=0.3)
    batch_norm_case(a, "bn1d_eval", a.randn(5, 4), 4, training=False, eps=1e-3)
    batch_norm_case(a, "bn3d_train_plain", a.randn(6, 4, 3), 4, affine=False, stats=False)

    # dropout: only the identities can be compared with PyTorch (masks come from different
    # generators); the mask itself is tested statistically and against rand in each language.
    a.case("dropout_eval", "dropout", [a.randn(3, 4)], lambda t: F.dropout(t, 0.5, False), p=0.5, training=False)
    a.case("dropout_p0", "dropout", [a.randn(3, 4)], lambda t: F.dropout(t, 0.0, True), p=0.0, training=True)

    # linear: 2-D, 3-D and 1-D input, with and without bias.
    a.case("linear_2d", "linear", [a.randn(5, 7), a.randn(4, 7), a.randn(4)], F.linear)
    a.case("linear_3d", "linear", [a.randn(2, 3, 7), a.randn(4, 7), a.randn(4)], F.linear)
    a.case("linear_nobias", "linear", [a.randn(6, 5), a.randn(3, 5)], F.linear)
    a.case("linear_1d", "linear", [a.randn(7), a.randn(4, 7), a.randn(4)], F.linear)

    # Depthwise kernels (groups = C = K, ConvDepthwise.swift): 3x3 and 5x5 at stride 1 and 2,
    # odd sizes, rows long enough for the 32-wide steps and their tails, padding above the
    # kernel, dilation, non-square stride, 7x7/2, a batch; a channel multiplier of 2 (K = 2C)
    # falls back to im2col.
    conv_case(a, "dw3_s1", a.randn(3, 4, 9, 11), a.randn(4, 1, 3, 3), a.randn(4), padding=1, groups=4)
    conv_case(a, "dw3_s2", a.randn(2, 5, 11, 9), a.randn(5, 1, 3, 3), a.randn(5), stride=2, padding=1, groups=5)
    conv_case(a, "dw3_s2_even", a.randn(2, 3, 12, 14), a.randn(3, 1, 3, 3), stride=2, padding=1, groups=3)
    conv_case(a, "dw5_s1", a.randn(2, 3, 10, 37), a.randn(3, 1, 5, 5), a.randn(3), padding=2, groups=3)
    conv_case(a, "dw5_s2", a.randn(2, 3, 13, 40), a.randn(3, 1, 5, 5), a.randn(3), stride=2, padding=2, groups=3)
    conv_case(a, "dw3_dilation2", a.randn(2, 3, 9, 10), a.randn(3, 1, 3, 3), a.randn(3), padding=2, dilation=2, groups=3)
    conv_case(a, "dw3_s2_dilation2", a.randn(1, 2, 11, 12), a.randn(2, 1, 3, 3), stride=2, padding=1, dilation=2, groups=2)
    conv_case(a, "dw3_pad3", a.randn(1, 2, 5, 6), a.randn(2, 1, 3, 3), a.randn(2), padding=3, groups=2)
    conv_case(a, "dw3_nopad_stride12", a.randn(2, 3, 8, 9), a.randn(3, 1, 3, 3), a.randn(3), stride=(1, 2), groups=3)
    conv_case(a, "dw7_s2", a.randn(1, 2, 15, 17), a.randn(2, 1, 7, 7), a.randn(2), stride=2, padding=3, groups=2)
    conv_case(a, "dw3_wide_row", a.randn(1, 2, 4, 70), a.randn(2, 1, 3, 3), a.randn(2), padding=1, groups=2)
    conv_case(a, "dw3_multiplier2", a.randn(2, 3, 7, 7), a.randn(6, 1, 3, 3), a.randn(6), padding=1, groups=3)
    # Large strided kernels of the DQN network and the ResNet stem (im2col).
    conv_case(a, "conv_8x8_s4", a.randn(2, 4, 20, 20), a.randn(3, 4, 8, 8), a.randn(3), stride=4)
    conv_case(a, "conv_7x7_s2_p3", a.randn(1, 3, 13, 13), a.randn(4, 3, 7, 7), a.randn(4), stride=2, padding=3)
    # 1x1 on several small planes (several images per GEMM).
    conv_case(a, "conv_1x1_batch", a.randn(4, 6, 5, 5), a.randn(7, 6, 1, 1), a.randn(7))
