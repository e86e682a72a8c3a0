"""swiftnn.nn.Module as PyTorch users write it: subclassing, Parameter registration, PyTorch's
state_dict keys and order, load_state_dict in place, train/eval, freezing, and state dicts
saved with swiftnn.save that the safetensors package reads (and the reverse)."""
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import swiftnn
from swiftnn import nn


class Affine(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(swiftnn.randn(n_in, n_out))
        self.bias = nn.Parameter(swiftnn.zeros(n_out))
        self.register_buffer("calls", swiftnn.zeros(1))

    def forward(self, x):
        return x @ self.weight + self.bias


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Affine(3, 4)
        self.second = Affine(4, 2)
        self.scale = 2.0  # plain attributes stay plain

    def forward(self, x):
        return self.second(self.first(x)) * self.scale


def test_parameters_and_state_dict_use_pytorch_names_and_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["first.weight", "first.bias", "second.weight", "second.bias"]
    assert list(net.state_dict()) == ["first.weight", "first.bias", "first.calls",
                                      "second.weight", "second.bias", "second.calls"]
    assert all(p.requires_grad for p in net.parameters())
    assert net.scale == 2.0


def test_gradients_reach_every_parameter():
    net = Net()
    x = swiftnn.randn(5, 3)
    net(x).sum().backward()
    for n, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, n
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_load_state_dict_copies_in_place_and_checks_keys():
    a, b = Net(), Net()
    w = a.first.weight
    a.load_state_dict(b.state_dict())
    np.testing.assert_array_equal(w.detach().numpy(), b.first.weight.detach().numpy())  # same object, new values
    with pytest.raises(RuntimeError, match="Missing key"):
        a.load_state_dict({"first.weight": np.zeros((3, 4), np.float32)})
    with pytest.raises(swiftnn.ShapeError):
        a.load_state_dict({**b.state_dict(), "first.bias": np.zeros(7, np.float32)})


def test_train_eval_and_freezing():
    net = Net()
    assert net.training and net.first.training
    net.eval()
    assert not net.training and not net.second.training
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_state_dict_files_interoperate_with_the_safetensors_package(tmp_path):
    net = Net()
    path = tmp_path / "net.safetensors"
    swiftnn.save(net.state_dict(), path, metadata={"note": "hello"})
    theirs = load_file(str(path))
    assert set(theirs) == set(net.state_dict())
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(theirs[k], v.detach().numpy())
    # and the reverse: a file written by safetensors loads into a fresh model
    other = {k: np.full(v.shape, 0.5, np.float32) for k, v in theirs.items()}
    save_file(other, str(tmp_path / "theirs.safetensors"))
    net.load_state_dict(swiftnn.load(tmp_path / "theirs.safetensors"))
    assert np.all(net.first.weight.detach().numpy() == 0.5)


def test_corrupt_files_raise_clear_errors(tmp_path):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(swiftnn.FormatError, match="bad.safetensors"):
        swiftnn.load(p)
    with pytest.raises(swiftnn.SwiftNNIOError, match="missing"):
        swiftnn.load(tmp_path / "missing.safetensors")
