"""How each golden op of the "surface" area is called from Python (torch.einsum's spelling;
ctc_loss on logits, through log_softmax over the classes, as the cases define it)."""
import swiftnn
import swiftnn.nn.functional as F

OPS = {
    "einsum": lambda x, a: swiftnn.einsum(a["equation"], *x),
    "ctc_loss": lambda x, a: F.ctc_loss(F.log_softmax(x[0], dim=-1), x[1], x[2], x[3], blank=int(a["blank"]),
                                        reduction=a["reduction"], zero_infinity=a["zero_infinity"] == "1"),
}
