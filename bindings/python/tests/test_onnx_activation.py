"""The activation, trigonometry and rounding ops through ONNX: each exported by tracing passes
onnx.checker, gives SwiftNN's outputs in onnxruntime (also at another batch size), and loads
back into SwiftNN with the same outputs. Ops ONNX opset 17 lacks (Gelu, Mish, SiLU) are
exported as their formulas with basic nodes; the node mapping test pins that down."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

import swiftnn
import swiftnn.nn.functional as F
from swiftnn import nn

TOL = dict(rtol=1e-5, atol=1e-5)


class Activations(nn.Module):
    """A conv feature map through one op at a time (kept in range for the trig ones)."""

    def __init__(self, act):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = act

    def forward(self, x):
        return self.act(self.conv(x))


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        object.__setattr__(self, "f", f)

    def forward(self, x):
        return self.f(x)


OPS = {
    "gelu": (nn.GELU(), {"Erf"}),
    "gelu_tanh": (nn.GELU(approximate="tanh"), {"Tanh"}),
    "silu": (nn.SiLU(), {"Sigmoid", "Mul"}),
    "hardswish": (nn.Hardswish(), {"HardSwish"}),
    "hardsigmoid": (nn.Hardsigmoid(), {"HardSigmoid"}),
    "softplus": (nn.Softplus(), {"Softplus"}),
    "softplus_beta": (nn.Softplus(beta=2.0), {"Softplus", "Div"}),
    "elu": (nn.ELU(alpha=0.7), {"Elu"}),
    "celu": (nn.CELU(alpha=1.5), {"Celu"}),
    "selu": (nn.SELU(), {"Selu"}),
    "mish": (nn.Mish(), {"Softplus", "Tanh"}),
    "softsign": (nn.Softsign(), {"Softsign"}),
    "prelu": (nn.PReLU(4, init=0.2), {"PRelu"}),
    "prelu_single": (nn.PReLU(), {"PRelu"}),
    "sin": (Lambda(swiftnn.sin), {"Sin"}),
    "atan": (Lambda(lambda x: x.atan()), {"Atan"}),
    "asinh": (Lambda(swiftnn.asinh), {"Asinh"}),
    "erf": (Lambda(swiftnn.erf), {"Erf"}),
    "floor": (Lambda(lambda x: (x * 4).floor()), {"Floor"}),
    "round": (Lambda(lambda x: (x * 4).round()), {"Round"}),
    "sign": (Lambda(swiftnn.sign), {"Sign"}),
    "reciprocal": (Lambda(lambda x: (x * x + 1).reciprocal()), {"Reciprocal"}),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_export_runs_in_onnxruntime_and_loads_back(name, tmp_path):
    act, nodes = OPS[name]
    swiftnn.manual_seed(7)
    model = Activations(act).eval()
    if name == "prelu":
        model.act.weight = nn.Parameter(swiftnn.rand(4) * 0.5)
    path = str(tmp_path / f"{name}.onnx")
    x = swiftnn.randn(2, 3, 6, 6)
    swiftnn.onnx.export(model, x, path)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = {n.op_type for n in m.graph.node}
    assert nodes <= ops, f"{name}: nodes {sorted(ops)}"
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    loaded = swiftnn.onnx.load(path)
    for batch in (2, 5):
        xb = swiftnn.randn(batch, 3, 6, 6)
        with swiftnn.no_grad():
            want = model(xb).numpy()
        got = sess.run(None, {sess.get_inputs()[0].name: xb.numpy()})[0]
        np.testing.assert_allclose(got, want, **TOL, err_msg=f"{name}: onnxruntime at batch {batch}")
        back = loaded(xb)
        back = back[0] if isinstance(back, (list, tuple)) else back
        np.testing.assert_allclose(back.numpy(), want, **TOL, err_msg=f"{name}: loaded back at batch {batch}")


def test_prelu_backward_reaches_the_weight():
    m = nn.PReLU(3)
    x = swiftnn.tensor([[[-1.0, 2.0], [3.0, -4.0], [-0.5, 0.5]]])
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-1.0, -4.0, -0.5])
