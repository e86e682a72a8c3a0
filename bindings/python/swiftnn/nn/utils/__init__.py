"""torch.nn.utils equivalents (gradient clipping lives with the optimizers in the engine)."""
from ..optim.clip import clip_grad_norm_  # noqa: F401
