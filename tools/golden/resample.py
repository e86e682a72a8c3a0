"""Golden cases for pad (every mode, several dims, cropping), interpolate (nearest,
nearest-exact, linear, bilinear with and without align_corners, by size and by scale factor,
up and down) and one_hot."""
import numpy as np
import torch.nn.functional as F


def build(a):
    modes = {"constant": 0, "reflect": 1, "replicate": 2, "circular": 3}
    for mode, pads in [("constant", [1, 2]), ("constant", [2, 1, 0, 3]), ("constant", [-1, 2, 1, -2]),
                       ("reflect", [2, 1]), ("reflect", [1, 2, 2, 1]), ("replicate", [3, 1, 0, 2]),
                       ("circular", [2, 1, 1, 2])]:
        name = f"pad_{mode}_{'_'.join(str(p).replace('-', 'm') for p in pads)}"
        shape = (2, 3, 5) if len(pads) == 2 else (2, 2, 4, 5)
        a.case(name, "pad", [a.randn(*shape)], lambda x, p=pads, m=mode: F.pad(x, p, mode=m, value=0.5 if m == "constant" else None),
               pad=pads, mode=modes[mode], value=0.5 if mode == "constant" else 0.0)
    cases = [("up2_nearest", (1, 2, 3, 4), dict(scale_factor=2, mode="nearest")),
             ("size_nearest", (2, 1, 5, 4), dict(size=(7, 3), mode="nearest")),
             ("size_nearest_exact", (2, 1, 5, 4), dict(size=(7, 3), mode="nearest-exact")),
             ("scale_nearest_frac", (1, 2, 4, 6), dict(scale_factor=1.5, mode="nearest")),
             ("bilinear_up", (2, 2, 3, 4), dict(scale_factor=2, mode="bilinear", align_corners=False)),
             ("bilinear_size", (1, 3, 5, 5), dict(size=(8, 3), mode="bilinear", align_corners=False)),
             ("bilinear_corners", (2, 1, 4, 3), dict(size=(7, 5), mode="bilinear", align_corners=True)),
             ("bilinear_down_scale", (1, 2, 8, 6), dict(scale_factor=0.5, mode="bilinear")),
             ("linear_1d", (2, 3, 5), dict(size=9, mode="linear", align_corners=False)),
             ("linear_1d_corners", (1, 2, 4), dict(scale_factor=2.5, mode="linear", align_corners=True)),
             ("nearest_1d", (2, 2, 5), dict(size=3, mode="nearest"))]
    mode_ids = {"nearest": 0, "nearest-exact": 1, "linear": 2, "bilinear": 2}
    for name, shape, kw in cases:
        x = a.randn(*shape)
        out = F.interpolate(__import__("torch").from_numpy(x), **kw)
        size = list(out.shape[2:])
        sf = kw.get("scale_factor")
        scales = [] if sf is None else [float(sf)] * (len(shape) - 2)
        a.case(f"interp_{name}", "interpolate", [x], lambda t, kw=kw: F.interpolate(t, **kw), size=size, scales=scales or None,
               mode=mode_ids[kw["mode"]], align_corners=int(bool(kw.get("align_corners"))))
    a.case("one_hot_auto", "one_hot", [np.array([[0, 3], [1, 2]], np.int64)], lambda t: F.one_hot(t), num_classes=-1)
    a.case("one_hot_n", "one_hot", [np.array([2, 0, 1], np.int64)], lambda t: F.one_hot(t, 5), num_classes=5)
