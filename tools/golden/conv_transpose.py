"""Golden cases for conv_transpose2d and conv_transpose3d (stride, padding, output_padding, dilation, groups,
no bias, unbatched) and conv1d (stride, padding, dilation, groups; a 2-D convolution of
height one in the engine, so every language composes it the same way)."""
import torch.nn.functional as F


def build(a):
    ct = [("ct_basic", (2, 3, 4, 5), (3, 2, 3, 3), dict()),
          ("ct_stride2_outpad", (1, 4, 3, 3), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
          ("ct_groups", (2, 4, 3, 4), (4, 3, 2, 3), dict(stride=(2, 1), groups=2)),
          ("ct_dilation_pad", (1, 2, 5, 4), (2, 2, 3, 2), dict(padding=(1, 0), dilation=2)),
          ("ct_4x4_s2", (2, 3, 4, 4), (3, 5, 4, 4), dict(stride=2, padding=1))]
    for name, xs, ws, kw in ct:
        k = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
        attrs = dict(stride=list(k(kw.get("stride", 1))), padding=list(k(kw.get("padding", 0))),
                     output_padding=list(k(kw.get("output_padding", 0))), dilation=list(k(kw.get("dilation", 1))),
                     groups=kw.get("groups", 1))
        a.case(name, "conv_transpose2d", [a.randn(*xs), a.randn(*ws), a.randn(ws[1] * attrs["groups"])],
               lambda x, w, b, kw=kw: F.conv_transpose2d(x, w, b, **kw), **attrs)
    a.case("ct_nobias_unbatched", "conv_transpose2d", [a.randn(2, 3, 3), a.randn(2, 2, 2, 2)],
           lambda x, w: F.conv_transpose2d(x, w, stride=2), stride=[2, 2], padding=[0, 0], output_padding=[0, 0],
           dilation=[1, 1], groups=1)
    for name, xs, ws, kw in [("c1_basic", (2, 3, 9), (4, 3, 3), dict()),
                             ("c1_stride_pad", (1, 2, 10), (3, 2, 4), dict(stride=2, padding=1)),
                             ("c1_dilation_groups", (2, 4, 12), (6, 2, 3), dict(dilation=2, groups=2, padding=2))]:
        a.case(name, "conv1d", [a.randn(*xs), a.randn(*ws), a.randn(ws[0])], lambda x, w, b, kw=kw: F.conv1d(x, w, b, **kw),
               stride=kw.get("stride", 1), padding=kw.get("padding", 0), dilation=kw.get("dilation", 1),
               groups=kw.get("groups", 1))
    # conv_transpose3d: composed in the engine from conv_transpose2d per depth tap.
    for name, xs, ws, kw in [("ct3_basic", (2, 3, 3, 4, 4), (3, 2, 2, 3, 3), dict()),
                             ("ct3_stride_pad_outpad", (1, 2, 3, 3, 3), (2, 3, 3, 3, 3),
                              dict(stride=(2, 2, 1), padding=(1, 1, 0), output_padding=(1, 1, 0))),
                             ("ct3_groups_dilation", (1, 4, 2, 3, 3), (4, 1, 2, 2, 2), dict(groups=2, dilation=(2, 1, 2)))]:
        t = lambda v: list(v) if isinstance(v, tuple) else [v, v, v]  # noqa: E731
        attrs = dict(stride=t(kw.get("stride", 1)), padding=t(kw.get("padding", 0)),
                     output_padding=t(kw.get("output_padding", 0)), dilation=t(kw.get("dilation", 1)),
                     groups=kw.get("groups", 1))
        a.case(name, "conv_transpose3d", [a.randn(*xs), a.randn(*ws), a.randn(ws[1] * attrs["groups"])],
               lambda x, w, b, kw=kw: F.conv_transpose3d(x, w, b, **kw), **attrs)
    a.case("ct3_nobias_unbatched", "conv_transpose3d", [a.randn(2, 2, 3, 3), a.randn(2, 2, 2, 2, 2)],
           lambda x, w: F.conv_transpose3d(x, w, stride=2), stride=[2, 2, 2], padding=[0, 0, 0],
           output_padding=[0, 0, 0], dilation=[1, 1, 1], groups=1)
