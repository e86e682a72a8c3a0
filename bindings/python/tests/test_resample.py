"""F.pad, F.interpolate, F.one_hot and their modules (values are checked against PyTorch by the
golden area "resample"): PyTorch's argument handling and errors, and ONNX export of a model
that pads and resizes, run by onnxruntime."""
import numpy as np
import onnxruntime as ort
import pytest

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F


def test_modules_and_argument_forms():
    x = swiftnn.randn(1, 2, 3, 4)
    assert nn.Upsample(scale_factor=2)(x).shape == (1, 2, 6, 8)
    assert nn.Upsample(size=(5, 5), mode="bilinear", align_corners=True)(x).shape == (1, 2, 5, 5)
    assert nn.UpsamplingBilinear2d(scale_factor=3)(x).shape == (1, 2, 9, 12)
    assert nn.ZeroPad2d((1, 2, 0, 1))(x).shape == (1, 2, 4, 7)
    assert nn.ReflectionPad2d(1)(x).shape == (1, 2, 5, 6)
    r = nn.ReplicationPad2d(2)(x).numpy()
    np.testing.assert_array_equal(r[..., 0, 0], x.numpy()[..., 0, 0])
    assert F.one_hot(swiftnn.tensor([1, 0])).tolist() == [[0, 1], [1, 0]]


def test_errors_say_what_to_fix():
    x = swiftnn.randn(1, 1, 3, 3)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(swiftnn.InvalidArgumentError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="doesn't take in value argument"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(swiftnn.OutOfRangeError, match="smaller than num_classes"):
        F.one_hot(swiftnn.tensor([3]), 2)
    with pytest.raises(swiftnn.DTypeError, match="index tensor of type int64"):
        F.one_hot(swiftnn.tensor([1.0]))


class Resampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)

    def forward(self, x):
        h = F.pad(x, (1, 1, 1, 1), mode="reflect")
        h = self.conv(h)
        h = F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
        h = F.pad(h, (0, 1, 2, 0), value=0.25)
        return F.interpolate(h, scale_factor=2, mode="nearest") + F.pad(h, (1, 1, 1, 1), mode="replicate").mean()


def test_onnx_export_runs_in_onnxruntime(tmp_path):
    swiftnn.manual_seed(3)
    model = Resampler()
    path = str(tmp_path / "resample.onnx")
    swiftnn.onnx.export(model, swiftnn.randn(2, 2, 5, 6), path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (2, 3):
        x = swiftnn.randn(batch, 2, 5, 6)
        (got,) = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
        np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)
