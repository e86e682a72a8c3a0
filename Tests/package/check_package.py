"""Checks an installed swiftnn package; `make test-package` runs it with the python of a fresh
venv into which `pip install ./bindings/python` went, from /tmp, with
SWIFTNN_LIB unset: the library must be the one bundled inside the package in the venv's
site-packages, and a small computation with autograd must work."""
import os
import sys
import sysconfig

assert "SWIFTNN_LIB" not in os.environ, "SWIFTNN_LIB must be unset for this check"
assert sys.prefix != sys.base_prefix, f"not running in a venv ({sys.prefix})"

import numpy as np  # noqa: E402
import swiftnn  # noqa: E402

site = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
pkg = os.path.realpath(os.path.dirname(swiftnn.__file__))
lib = os.path.realpath(swiftnn.library_path)
assert any(pkg.startswith(s + os.sep) for s in site), f"swiftnn imported from {pkg}, not from {site}"
assert os.path.dirname(lib) == pkg, f"library {lib} is not the one bundled in {pkg}"

x = swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (x @ x).sum()
y.backward()
xn = np.array([[1.0, 2.0], [3.0, 4.0]])
ones = np.ones((2, 2))
assert y.item() == float((xn @ xn).sum()), y.item()
np.testing.assert_allclose(x.grad.numpy(), ones @ xn.T + xn.T @ ones)
print(f"test-package: swiftnn {swiftnn.__version__} from {lib}: ok")
