"""Transfer learning from Python against torch (Tests/golden/zoo/transfer.safetensors,
tools/gen_golden_transfer.py): feature caching (cache_features) on real Fashion-MNIST images
through the pretrained MobileNetV2's frozen blocks gives torch's features; fine-tuning the last
two blocks and a new head in training mode gives torch's loss and every gradient; the cache's
file, progress reports, mode handling and bad input."""
import copy
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
from swiftnn.models import MobileNet_V2_Weights, mobilenet_v2
from swiftnn.models.feature_extraction import cache_features
from swiftnn.nn import functional as F
from conftest import GOLDEN

GOLD = load_file(os.path.join(GOLDEN, "zoo", "transfer.safetensors"))
CUT, SIZE = 17, 96   # as tools/gen_golden_transfer.py


def close(actual, expected, atol=1e-5, rtol=1e-4):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    err = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    assert err.max() <= 0, f"worst |diff| {np.abs(actual - expected).max():.3g} at {np.unravel_index(err.argmax(), err.shape)}"


@pytest.fixture(scope="module")
def model():
    return mobilenet_v2(weights=MobileNet_V2_Weights.IMAGENET1K_V1)


def preset():
    return MobileNet_V2_Weights.IMAGENET1K_V1.transforms(crop_size=SIZE, resize_size=SIZE)


def test_cached_features_equal_torchs(model, tmp_path):
    stem = model.features[:CUT]
    stem.train()
    reports = []
    path = tmp_path / "features.safetensors"
    got = cache_features(stem, swiftnn.tensor(GOLD["images"]), batch_size=3, transforms=preset(), path=path,
                         progress=lambda p: reports.append((p.step, p.steps_per_epoch, p.end_of_epoch, p.eta_seconds >= 0)))
    # gray -> 3 channels, 28 -> 96 antialiased bilinear, ImageNet normalisation, 17 blocks:
    # measured worst |diff| 5.9e-5 on values up to 17: inside the relative part of the rule
    close(got.numpy(), GOLD["features"], atol=2e-5)
    assert not got.requires_grad
    assert stem.training, "the module's mode is restored"
    assert reports == [(1, 3, False, True), (2, 3, False, True), (3, 3, True, True)]
    assert np.array_equal(load_file(str(path))["features"], got.numpy())


def test_cache_features_by_layer_name_equals_a_sequential(model):
    x = swiftnn.tensor(GOLD["images"][:2])
    by_name = cache_features(model, x, f"features.{CUT - 1}", transforms=preset())
    by_seq = cache_features(model.features[:CUT], x, transforms=preset())
    assert np.array_equal(by_name.numpy(), by_seq.numpy())


def test_fine_tuning_gradients_equal_torchs(model):
    """The last two blocks and a new head, in training mode (batch statistics), on the cached
    features: loss, logits and every parameter's gradient as torch's."""
    net = copy.deepcopy(model)
    head = nn.Linear(1280, 10)
    head.load_state_dict({"weight": swiftnn.tensor(GOLD["head.weight"]), "bias": swiftnn.tensor(GOLD["head.bias"])})
    tail = nn.Sequential(net.features[CUT], net.features[CUT + 1], nn.AdaptiveAvgPool2d(1), nn.Flatten(), head)
    tail.train()
    logits = tail(swiftnn.tensor(GOLD["features"]))
    loss = F.cross_entropy(logits, swiftnn.tensor(GOLD["labels"]))
    loss.backward()
    close(logits.detach().numpy(), GOLD["logits"])
    close([loss.item()], GOLD["loss"])
    named = {f"features.{CUT}.{n}": p for n, p in net.features[CUT].named_parameters()}
    named.update({f"features.{CUT + 1}.{n}": p for n, p in net.features[CUT + 1].named_parameters()})
    named.update({f"head.{n}": p for n, p in head.named_parameters()})
    wanted = sorted(k[len("grad."):] for k in GOLD if k.startswith("grad."))
    assert sorted(named) == wanted
    for name in wanted:
        want = GOLD[f"grad.{name}"]
        close(named[name].grad.numpy(), want, atol=1e-5 * max(1.0, float(np.abs(want).max())))


def test_cache_features_bad_input(model):
    x = swiftnn.tensor(GOLD["images"][:2])
    with pytest.raises(Exception, match="not a module"):
        cache_features(model, x, "features.99")
    with pytest.raises(Exception, match="batch_size"):
        cache_features(model.features[:2], x, batch_size=0)
    with pytest.raises(Exception, match="channels"):
        cache_features(model.features[:2], swiftnn.zeros(2, 2, 28, 28), transforms=preset())
    with pytest.raises(TypeError):
        cache_features(model.features[:2], GOLD["images"])
    with pytest.raises(ZeroDivisionError):
        cache_features(model.features[:2], x, transforms=preset(), progress=lambda p: 1 / 0)
