"""swiftnn.utils, as torch.utils: `data` (Dataset, DataLoader, samplers)."""
from . import data  # noqa: F401

# The public names, listed for `a star import` and for type checkers (mypy --strict re-exports
# only listed names); tests/test_public_all.py keeps the list complete.
__all__ = ["data"]
