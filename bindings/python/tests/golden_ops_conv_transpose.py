"""How each golden op of the "conv_transpose" area is called from Python."""
import swiftnn.nn.functional as F


def _pair(a, k):
    return tuple(int(v) for v in a[k].split(","))


_triple = _pair  # "d,h,w" the same way


OPS = {
    "conv_transpose2d": lambda x, a: F.conv_transpose2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=_pair(a, "stride"),
                                                        padding=_pair(a, "padding"), output_padding=_pair(a, "output_padding"),
                                                        groups=int(a["groups"]), dilation=_pair(a, "dilation")),
    "conv_transpose3d": lambda x, a: F.conv_transpose3d(x[0], x[1], x[2] if len(x) > 2 else None, stride=_triple(a, "stride"),
                                                        padding=_triple(a, "padding"), output_padding=_triple(a, "output_padding"),
                                                        groups=int(a["groups"]), dilation=_triple(a, "dilation")),
    "conv1d": lambda x, a: F.conv1d(x[0], x[1], x[2], stride=int(a["stride"]), padding=int(a["padding"]),
                                    dilation=int(a["dilation"]), groups=int(a["groups"])),
}
