"""Each package's __all__ lists every public name it defines or imports: type checkers run with
--strict re-export only listed names (a name missing here is an error in a user's mypy run),
and `from swiftnn import *` exports exactly the list."""
import importlib
import types

import pytest

PACKAGES = ["swiftnn", "swiftnn.nn", "swiftnn.models", "swiftnn.optim", "swiftnn.utils", "swiftnn.utils.data",
            "swiftnn.nn.utils"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_every_public_name(name):
    m = importlib.import_module(name)
    listed = set(m.__all__)
    assert all(hasattr(m, n) for n in listed), sorted(n for n in listed if not hasattr(m, n))
    public = set()
    for n, v in vars(m).items():
        if n.startswith("_") or isinstance(v, types.ModuleType):
            continue  # submodules imported as a side effect of importing their children
        if getattr(v, "__module__", "swiftnn").startswith("swiftnn") or not callable(v):
            public.add(n)
    missing = sorted(public - listed)
    assert not missing, f"{name}.__all__ lacks {missing}"
