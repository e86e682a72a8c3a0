"""How each golden op of the "loss_pointwise" area is called from Python."""
import swiftnn.nn.functional as F


def _bce_logits(x, a):
    w = x[2] if a.get("weight") == "1" else None
    pw = x[3 if w is not None else 2] if a.get("pos_weight") == "1" else None
    return F.binary_cross_entropy_with_logits(x[0], x[1], weight=w, pos_weight=pw, reduction=a["reduction"])


def _kl(x, a):
    reduction = "batchmean" if a["batchmean"] == "1" else a["reduction"]
    return F.kl_div(x[0], x[1], reduction=reduction, log_target=a["log_target"] == "1")


OPS = {
    "l1_loss": lambda x, a: F.l1_loss(x[0], x[1], reduction=a["reduction"]),
    "smooth_l1_loss": lambda x, a: F.smooth_l1_loss(x[0], x[1], reduction=a["reduction"], beta=float(a["beta"])),
    "huber_loss": lambda x, a: F.huber_loss(x[0], x[1], reduction=a["reduction"], delta=float(a["delta"])),
    "binary_cross_entropy": lambda x, a: F.binary_cross_entropy(x[0], x[1], weight=x[2] if len(x) > 2 else None,
                                                                reduction=a["reduction"]),
    "binary_cross_entropy_with_logits": _bce_logits,
    "kl_div": _kl,
}
