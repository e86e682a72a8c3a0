"""nn.Conv1d and nn.ConvTranspose2d (the ops are checked against PyTorch by the golden area
"conv_transpose"): 'same' padding against a numpy reference, an autoencoder that trains, save
and load, and ONNX export of ConvTranspose run by onnxruntime and imported back."""
import numpy as np
import onnxruntime as ort
import pytest

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F


def conv1d_reference(x, w, pad_left, pad_right):
    x = np.pad(x, ((0, 0), (0, 0), (pad_left, pad_right)))
    n, c, length = x.shape
    k = w.shape[2]
    out = np.zeros((n, w.shape[0], length - k + 1), np.float64)
    for i in range(out.shape[2]):
        out[:, :, i] = np.einsum("ncl,ocl->no", x[:, :, i:i + k], w)
    return out


def test_conv1d_same_padding_matches_a_reference():
    for k in (3, 4):  # odd and even kernels: the even one pads one more on the right, as PyTorch
        x, w = swiftnn.randn(2, 3, 7), swiftnn.randn(5, 3, k)
        got = F.conv1d(x, w, padding="same").numpy()
        want = conv1d_reference(x.numpy(), w.numpy(), (k - 1) // 2, k - 1 - (k - 1) // 2)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    m = nn.Conv1d(3, 4, 5, padding="same")
    assert m(swiftnn.randn(2, 3, 11)).shape == (2, 4, 11)
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight"] and m.weight.shape == (4, 3, 5)
    assert nn.Conv2d(2, 3, 3, padding="same")(swiftnn.randn(1, 2, 6, 6)).shape == (1, 3, 6, 6)


def test_conv_transpose2d_module_shapes_and_errors():
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    assert up.weight.shape == (4, 2, 3, 3) and up(swiftnn.randn(1, 4, 5, 5)).shape == (1, 2, 10, 10)
    with pytest.raises(swiftnn.InvalidArgumentError, match="output padding must be smaller than either stride or dilation"):
        nn.ConvTranspose2d(4, 2, 3, stride=1, output_padding=1)
    with pytest.raises(swiftnn.ShapeError, match="has 3 channels, but weight"):
        up(swiftnn.randn(1, 3, 5, 5))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, stride=2, padding=1))
        self.dec = nn.Sequential(nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                 nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1))

    def forward(self, x):
        return self.dec(self.enc(x))


def test_autoencoder_trains_and_exports(tmp_path):
    swiftnn.manual_seed(0)
    model = AutoEncoder()
    x = swiftnn.rand(8, 1, 12, 12)
    opt = swiftnn.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = F.mse_loss(model(x), x)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses[::10]
    path = str(tmp_path / "ae.onnx")
    swiftnn.onnx.export(model, x[:2], path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    probe = swiftnn.rand(3, 1, 12, 12)
    (got,) = sess.run(None, {sess.get_inputs()[0].name: probe.numpy()})
    want = model(probe).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    back = swiftnn.onnx.load(path)
    np.testing.assert_allclose(back(probe).detach().numpy(), want, rtol=1e-5, atol=1e-6)
