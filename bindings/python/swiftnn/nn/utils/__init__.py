"""torch.nn.utils equivalents: clip_grad_norm_ (with the optimizers, in the engine) and
swiftnn.nn.utils.rnn (packed sequences for the recurrent layers)."""
from ...optim.clip import clip_grad_norm_  # noqa: F401
from . import rnn  # noqa: F401

# The public names, listed for `a star import` and for type checkers (mypy --strict re-exports
# only listed names); tests/test_public_all.py keeps the list complete.
__all__ = ["clip_grad_norm_", "rnn"]
