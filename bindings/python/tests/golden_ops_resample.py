"""How each golden op of the "resample" area is called from Python (torch.nn.functional's
spelling: interpolate is given the scale factor when the case had one, else the size)."""
import swiftnn.nn.functional as F

_PAD = ["constant", "reflect", "replicate", "circular"]
_MODE = {("0", 3): "nearest", ("0", 4): "nearest", ("1", 3): "nearest-exact", ("1", 4): "nearest-exact",
         ("2", 3): "linear", ("2", 4): "bilinear"}


def _pad(x, a):
    mode = _PAD[int(a["mode"])]
    return F.pad(x[0], [int(v) for v in a["pad"].split(",")], mode=mode,
                 value=float(a["value"]) if mode == "constant" else None)


def _interp(x, a):
    mode = _MODE[(a["mode"], x[0].ndim)]
    corners = (a["align_corners"] == "1") if mode in ("linear", "bilinear") else None
    if a["scales"] != "none":
        return F.interpolate(x[0], scale_factor=float(a["scales"].split(",")[0]), mode=mode, align_corners=corners)
    return F.interpolate(x[0], size=[int(v) for v in a["size"].split(",")], mode=mode, align_corners=corners)


OPS = {"pad": _pad, "interpolate": _interp, "one_hot": lambda x, a: F.one_hot(x[0], int(a["num_classes"]))}
