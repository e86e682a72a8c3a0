#!/usr/bin/env python3
"""Writes Tests/fixtures/onnx/torch_*.onnx: the models torch.onnx.export makes of a small
convolutional classifier with residual blocks and of a TransformerEncoder (random weights,
seeded), each with fixed inputs and onnxruntime's outputs for them in torch_*.io.safetensors
("input", "output"), so the tests check SwiftNN's import against onnxruntime without torch.
Each model twice: torch's default exporter (torch.export + onnxscript, opset 18, weights in an
external `.onnx.data` file) and the legacy TorchScript one (`_legacy`, opset 17, which leaves
Shape / Gather / Cast arithmetic and Constant nodes in the graph).
Needs torch and onnxscript (tools only, by hand: pip install onnxscript==0.7.2), onnx and onnxruntime (tools/setup.sh).

    python3 tools/gen_onnx_torch_models.py
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "fixtures", "onnx")


class Block(nn.Module):
    """torchvision's BasicBlock: two 3x3 conv + batch norm, the input added back."""

    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


class ResidualClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.block1 = Block(8)
        self.down = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.block2 = Block(16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.block2(self.down(self.block1(self.stem(x))))), 1))


class Encoder(nn.Module):
    """A TransformerEncoder over [B, T, 8] features, mean-pooled into 5 logits."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        self.embed = nn.Linear(8, 32)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(32, 5)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x)).mean(1))


def randomize_batch_norm(model):
    """Running statistics and affine parameters away from 1 and 0, so folding them matters."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def export(name, model, x, dynamo=True):
    model.eval()
    path = os.path.join(OUT, f"torch_{name}.onnx")
    # opset 18 is the default exporter's own (asking for 17 runs a version converter that fails
    # on ReduceMean's axes input and falls back to 18 with a warning).
    # The legacy exporter keeps the batch symbolic when asked (Shape arithmetic in the graph);
    # the default one bakes the example's shapes into its Reshape constants.
    batch = None if dynamo else {"input": {0: "batch"}, "output": {0: "batch"}}
    torch.onnx.export(model, (x,), path, opset_version=18 if dynamo else 17, input_names=["input"],
                      output_names=["output"], dynamo=dynamo, dynamic_axes=batch)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        drift = float(np.abs(model(x).numpy() - y).max())
    save_file({"input": x.numpy(), "output": y}, os.path.join(OUT, f"torch_{name}.io.safetensors"))
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"wrote {path}: {os.path.getsize(path)} bytes; ops {ops}; |torch - onnxruntime| max {drift:.2e}")


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    classifier = ResidualClassifier()
    randomize_batch_norm(classifier)
    encoder = Encoder()
    x_image, x_sequence = torch.randn(2, 3, 16, 16), torch.randn(2, 7, 8)
    export("resnet", classifier, x_image)
    export("transformer", encoder, x_sequence)
    export("resnet_legacy", classifier, x_image, dynamo=False)
    export("transformer_legacy", encoder, x_sequence, dynamo=False)
