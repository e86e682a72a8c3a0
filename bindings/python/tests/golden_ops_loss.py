"""How each golden op of the "loss" area is called from Python (torch.nn.functional's spelling)."""
import swiftnn.nn.functional as F

OPS = {
    "cross_entropy": lambda x, a: F.cross_entropy(x[0], x[1], weight=x[2] if len(x) > 2 else None,
                                                  reduction=a["reduction"], ignore_index=int(a["ignore_index"]),
                                                  label_smoothing=float(a["label_smoothing"])),
    "nll_loss": lambda x, a: F.nll_loss(x[0], x[1], weight=x[2] if len(x) > 2 else None, reduction=a["reduction"], ignore_index=int(a["ignore_index"])),
    "mse_loss": lambda x, a: F.mse_loss(x[0], x[1], reduction=a["reduction"]),
}
