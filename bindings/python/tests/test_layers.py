"""Built-in layers from Python as a PyTorch user writes them: the lecture's network reports
160,650 parameters, PyTorch state dicts (saved with safetensors.torch) load and give PyTorch's
logits, our checkpoints carry PyTorch's keys and shapes, save_model/load_model round-trips,
and fit_classifier trains with progress reports."""
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
from conftest import GOLDEN

MOD = os.path.join(GOLDEN, "modules")


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def bn_net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(8), nn.LeakyReLU(0.1),
        nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
        nn.Dropout(0.3), nn.Linear(32, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 5))


def test_lecture_network_has_160650_parameters():
    net = nn.Sequential(nn.Conv2d(3, 64, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(64, 128, 3, padding=1),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 8 * 8, 10))
    assert sum(p.numel() for p in net.parameters()) == 160650
    table = net.summary((1, 3, 32, 32))
    assert "Total params: 160,650" in table and "[1, 128, 8, 8]" in table


@pytest.mark.parametrize("name,make", [("lenet5", lenet5), ("bn_net", bn_net)])
def test_pytorch_state_dicts_load_and_match(name, make):
    net = make()
    state = load_file(os.path.join(MOD, f"{name}_state.safetensors"))
    assert list(net.state_dict()) == list(state) or set(net.state_dict()) == set(state)
    net.load_state_dict(swiftnn.load(os.path.join(MOD, f"{name}_state.safetensors")))
    net.eval()
    io = load_file(os.path.join(MOD, f"{name}_io.safetensors"))
    out = net(swiftnn.from_numpy(io["input"])).detach().numpy()
    np.testing.assert_allclose(out, io["logits"], rtol=1e-4, atol=1e-5)


def test_checkpoints_have_pytorchs_keys_and_round_trip(tmp_path):
    swiftnn.manual_seed(0)
    net = bn_net()
    path = tmp_path / "bn.safetensors"
    nn.save_model(net, path)
    ours = load_file(str(path))
    theirs = load_file(os.path.join(MOD, "bn_net_state.safetensors"))
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    assert ours["1.num_batches_tracked"].dtype == np.int64
    again = nn.load_model(path)
    assert isinstance(again[0], nn.Conv2d) and again[0].out_channels == 8 and again[0].kernel_size == (3, 3)
    x = swiftnn.randn(2, 3, 9, 9)
    net.eval()
    again.eval()
    np.testing.assert_array_equal(net(x).detach().numpy(), again(x).detach().numpy())


def test_train_eval_switches_batch_norm_and_dropout():
    swiftnn.manual_seed(1)
    net = bn_net()
    x = swiftnn.randn(4, 3, 9, 9)
    net.eval()
    a, b = net(x).detach().numpy(), net(x).detach().numpy()
    np.testing.assert_array_equal(a, b)           # eval: deterministic
    rm = net[1].running_mean.numpy().copy()
    net.train()
    net(x)
    assert not np.array_equal(rm, net[1].running_mean.numpy())   # train: running stats move
    assert int(net[1].num_batches_tracked.item()) == 1


def test_fit_classifier_learns_and_reports_progress():
    swiftnn.manual_seed(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 2)).astype(np.float32)
    y = ((x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)).astype(np.int64)
    net = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = swiftnn.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    loader = swiftnn.data.DataLoader(swiftnn.from_numpy(x), swiftnn.from_numpy(y), batch_size=32, shuffle=True, seed=1)
    seen = []
    hist = swiftnn.train.fit_classifier(net, opt, loader, epochs=15, report_every=4,
                                        progress=lambda p: seen.append((p.epoch, p.step, p.loss, p.eta_seconds)))
    assert len(hist) == 15 * 8 and np.mean(hist[-8:]) < 0.3 * np.mean(hist[:8])
    assert seen[-1][0] == 15 and all(s[2] > 0 for s in seen)
    loss, acc = swiftnn.train.evaluate_classifier(net, swiftnn.from_numpy(x), swiftnn.from_numpy(y))
    assert acc > 0.9


def test_progress_callback_can_stop_training_and_exceptions_propagate():
    net = nn.Sequential(nn.Linear(2, 4))
    opt = swiftnn.optim.SGD(net.parameters(), lr=0.1)
    x = swiftnn.randn(64, 2)
    y = swiftnn.tensor(np.zeros(64, np.int64))
    loader = swiftnn.data.DataLoader(x, y, batch_size=8)
    hist = swiftnn.train.fit_classifier(net, opt, loader, epochs=3, report_every=2, progress=lambda p: False)
    assert len(hist) == 2

    def boom(p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        swiftnn.train.fit_classifier(net, opt, loader, epochs=1, report_every=1, progress=boom)
