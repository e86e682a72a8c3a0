"""swiftnn.utils, as torch.utils: `data` (Dataset, DataLoader, samplers)."""
from . import data  # noqa: F401
