"""Models exported by torch.onnx (tools/gen_onnx_torch_models.py: a convolutional classifier
with residual blocks and a TransformerEncoder, random weights; each by torch's default exporter,
weights in an external .onnx.data file, and by the legacy one) import through swiftnn.onnx.load
and give onnxruntime's outputs for the committed inputs within 1e-5 (absolute and relative)."""
import os

import numpy as np
import onnxruntime as ort
import pytest
from safetensors.numpy import load_file

import swiftnn
from conftest import REPO

FIXTURES = os.path.join(REPO, "Tests", "fixtures", "onnx")
MODELS = ["resnet", "transformer", "resnet_legacy", "transformer_legacy"]
TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_torch_exported_model_matches_onnxruntime(name):
    path = os.path.join(FIXTURES, f"torch_{name}.onnx")
    io = load_file(os.path.join(FIXTURES, f"torch_{name}.io.safetensors"))
    # The committed outputs are onnxruntime's for this file (not stale).
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": io["input"]})[0], io["output"], rtol=1e-6, atol=1e-6)
    model = swiftnn.onnx.load(path)
    (got,) = model.run(None, {"input": io["input"]})
    assert got.shape == io["output"].shape
    np.testing.assert_allclose(got, io["output"], **TOL)
    if name.endswith("_legacy"):
        # Exported with a symbolic batch (Shape arithmetic in the graph): another batch size
        # through the same loaded model. The default exporter bakes the example's shapes into
        # its Reshape constants, so onnxruntime refuses another batch there too.
        x = io["input"][:1]
        np.testing.assert_allclose(model.run(None, {"input": x})[0], sess.run(None, {"input": x})[0], **TOL)


def test_external_data_outside_the_model_folder_is_refused(tmp_path):
    """An external-data location must stay inside the model's folder."""
    import onnx
    m = onnx.load(os.path.join(FIXTURES, "torch_resnet.onnx"), load_external_data=False)
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "../elsewhere.data"
    p = str(tmp_path / "m.onnx")
    onnx.save(m, p)
    with pytest.raises(swiftnn.SwiftNNError, match="relative path inside the model's folder"):
        swiftnn.onnx.load(p)
