"""What the engine runs on, under PyTorch's names (torch.backends)."""
from . import cpu  # noqa: F401
