"""The zoo's EfficientNet-Lite0 from Python against the PyTorch port it mirrors
(Tests/golden/zoo/efficientnet_lite0.*, tools/gen_golden_efficientnet.py): the port's names and
size, logits on its preprocessed photos, the whole photo -> top-5 path in the engine, the .pth
through the restricted unpickler and the converted safetensors alike, gradients in eval mode,
ONNX export, and checkpoints of another architecture refused."""
import json
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn.models import EfficientNet_Lite0_Weights, MobileNet_V2_Weights, efficientnet_lite0
from conftest import GOLDEN, REPO
from test_zoo import close, photo_path

GOLD = load_file(os.path.join(GOLDEN, "zoo", "efficientnet_lite0.safetensors"))
with open(os.path.join(GOLDEN, "zoo", "efficientnet_lite0.json")) as f:
    MANIFEST = json.load(f)
WEIGHTS_ST = os.path.join(REPO, "build", "zoo", "efficientnet_lite0.safetensors")   # make zoo-weights


@pytest.fixture(scope="module")
def model():
    return efficientnet_lite0(weights=EfficientNet_Lite0_Weights.IMAGENET1K_V1)


def test_names_and_size_are_the_ports(model):
    keys = list(model.state_dict())
    assert keys[0] == "_conv_stem.weight" and keys[-1] == "_fc.bias"
    assert sorted(keys) == sorted(load_file(WEIGHTS_ST))
    assert sum(p.numel() for p in model.parameters()) == 4_652_008
    assert len(model._blocks) == 16 and type(model._blocks[3]).__name__ == "MBConvBlock" and not model.training
    assert "_blocks.0._expand_conv" not in dict(model.named_modules())   # expansion 1: no 1x1 conv


@pytest.mark.parametrize("photo", ["chelsea", "grace_hopper"])
def test_logits_equal_the_ports_on_its_inputs(model, photo):
    with swiftnn.no_grad():
        y = model(swiftnn.tensor(GOLD[f"{photo}.input"]).unsqueeze(0))[0].numpy()
    close(y, GOLD[f"{photo}.logits"])   # measured worst |diff| 8e-6 on random inputs


@pytest.mark.parametrize("photo", MANIFEST["photos"], ids=lambda p: p["name"])
def test_photo_file_to_top5_as_the_port(model, photo):
    img = swiftnn.io.read_image(photo_path(photo), 3)
    x = EfficientNet_Lite0_Weights.IMAGENET1K_V1.transforms()(img)
    if f"{photo['name']}.input" in GOLD:   # torch's float resize differs from the exact by ~4e-6
        close(x.numpy(), GOLD[f"{photo['name']}.input"], atol=3e-5)
    with swiftnn.no_grad():
        logits = model(x.unsqueeze(0))[0]
    close(logits.numpy(), GOLD[f"{photo['name']}.logits"], atol=1e-4)
    values, indices = logits.softmax(0).topk(5)
    cats = MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    assert [[i, cats[i]] for i in indices.tolist()] == [t[:2] for t in photo["top5"]]
    close(values.numpy(), [t[2] for t in photo["top5"]], atol=2e-6, rtol=1e-4)


def test_safetensors_and_pth_give_the_same_model(model):
    other = efficientnet_lite0(weights=WEIGHTS_ST)
    for (k, a), (k2, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert k == k2 and np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_gradients_equal_the_ports(model):
    import copy
    from swiftnn.nn import functional as F
    net = copy.deepcopy(model).eval()
    x = swiftnn.tensor(GOLD["grace_hopper.input"]).unsqueeze(0)
    F.cross_entropy(net(x), swiftnn.tensor([MANIFEST["grad"]["target"]])).backward()
    params = dict(net.named_parameters())
    for name in MANIFEST["grad"]["params"]:
        if name.startswith("_conv_stem") or name.startswith("_blocks.0."):
            continue   # behind many ReLU6 kinks: as test_zoo.py's stem, not compared
        want = GOLD[f"grad.{name}"]
        close(params[name].grad.numpy(), want, atol=1e-5 * max(1.0, float(np.abs(want).max())))


def test_onnx_export_runs_in_onnxruntime(model, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "efficientnet_lite0.onnx"
    x = swiftnn.tensor(GOLD["chelsea.input"]).unsqueeze(0)
    swiftnn.onnx.export(model, x, str(path), input_names=["image"], output_names=["logits"])
    (got,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})
    close(got[0], GOLD["chelsea.logits"])


def test_another_architectures_checkpoint_is_refused():
    with pytest.raises(swiftnn.FormatError, match="do not fit EfficientNet-Lite0.*Missing key"):
        efficientnet_lite0(weights=os.path.join(REPO, "build", "zoo", "mobilenet_v2.safetensors"))
    with pytest.raises(RuntimeError, match="does not hold EfficientNet-Lite0 weights"):
        efficientnet_lite0(weights=MobileNet_V2_Weights.IMAGENET1K_V1.value.path())
    with pytest.raises(swiftnn.ShapeError, match="smaller than 32 x 32"):
        efficientnet_lite0()(swiftnn.rand(1, 3, 16, 16))


def test_compiled_model_gives_the_ports_logits(model):
    """Through the inference plan: the port's "SAME" Pad nodes become the convolutions' own
    padding, so every layer is planned."""
    compiled = swiftnn.compile(model)
    x = swiftnn.tensor(GOLD["chelsea.input"]).unsqueeze(0)
    assert compiled.plan_report(x).startswith("inference plan for input [1, 3, 224, 224]")
    with swiftnn.no_grad():
        y = compiled(x)[0].numpy()
    close(y, GOLD["chelsea.logits"])
