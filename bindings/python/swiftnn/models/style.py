"""Neural style transfer (Gatys, Ecker and Bethge 2015) in the engine (swiftnn/style.h):

    net = mobilenet_v2(weights="DEFAULT")
    content = swiftnn.io.read_image("photo.png", 3)          # [3, H, W] in [0, 1]
    style = swiftnn.io.read_image("painting.png", 3)
    image = style_transfer(net, content, style, steps=300, progress=print)   # [1, 3, H, W]

The loss is PyTorch's neural-style tutorial's (content MSE, Gram-matrix style MSE with
G = F F^T / (C H W)) plus a total-variation term; Adam moves the pixels, clamped to [0, 1]
after each step. docs/style.md has the layers and the comparison with PyTorch."""
import ctypes
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .._lib import check, lib
from ..tensor import Tensor
from .feature_extraction import _engine_handle

StyleLosses = Dict[str, float]


def _losses(c: Any) -> StyleLosses:
    return {"total": c.total, "content": c.content, "style": c.style, "tv": c.tv}


def _options(fn: str, content_layers: Optional[Sequence[str]], style_layers: Optional[Sequence[str]],
             content_weight: float, style_weight: float, tv_weight: float, steps: int, lr: float,
             mean: Sequence[float], std: Sequence[float], report_every: int) -> Tuple[Any, List[Any]]:
    """The C options, and the objects that must outlive the call (the name arrays)."""
    from .._ffi import snn_style_options
    o = snn_style_options()
    check(lib.snn_style_options_init(ctypes.byref(o)))
    keep: List[Any] = []
    for field, names in (("content_layers", content_layers), ("style_layers", style_layers)):
        if names is None:
            continue
        if isinstance(names, str):
            raise TypeError(f"{fn}: {field} must be a list of module names, got a str ({names!r}); use [{names!r}]")
        arr = (ctypes.c_char_p * max(len(names), 1))(*[str(n).encode() for n in names])
        keep.append(arr)
        setattr(o, field, ctypes.cast(arr, type(getattr(o, field))))
        setattr(o, field.replace("layers", "layer_count"), len(names))
    o.content_weight, o.style_weight, o.tv_weight = float(content_weight), float(style_weight), float(tv_weight)
    o.steps, o.learning_rate, o.report_every = int(steps), float(lr), int(report_every)
    if len(mean) != 3 or len(std) != 3:
        raise ValueError(f"{fn}: mean and std must have 3 values, got {list(mean)} and {list(std)}")
    for i in range(3):
        o.mean[i], o.std[i] = float(mean[i]), float(std[i])
    return o, keep


_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def style_transfer(model: Any, content: Tensor, style: Tensor, *, content_layers: Optional[Sequence[str]] = None,
                   style_layers: Optional[Sequence[str]] = None, content_weight: float = 1.0,
                   style_weight: float = 1e7, tv_weight: float = 1.0, steps: int = 300, lr: float = 0.03,
                   init: Optional[Tensor] = None, mean: Sequence[float] = _IMAGENET_MEAN,
                   std: Sequence[float] = _IMAGENET_STD, report_every: int = 10,
                   progress: Optional[Callable[[Any, StyleLosses], Optional[bool]]] = None,
                   history: Optional[List[StyleLosses]] = None) -> Tensor:
    """Optimizes an image (from `init`, else the content image) so that `model` (an engine
    model such as mobilenet_v2(weights=...)) sees the content image's features in
    content_layers and the style image's Gram matrices in style_layers; returns it as
    [1, 3, H, W] in [0, 1], requiring no gradient.

    content, style: float32 RGB images [3, H, W] or [1, 3, H, W] in [0, 1] (swiftnn.io.read_image(path, 3)).
    content_layers, style_layers: module names of model (model.named_modules()); None means
    MobileNetV2's defaults (content features.13; style features.0.0, .1, .3, .6, .10).
    steps, lr: Adam steps on the pixels and their learning rate.
    progress(p, losses): every report_every steps and after the last; p has step,
    steps_per_epoch, loss, samples_per_second (steps/s), elapsed_seconds, eta_seconds; losses
    is {"total", "content", "style", "tv"} of the last step. Return False to stop early.
    history: if a list, the losses of every step are appended to it (report_every is then 1)."""
    from .._ffi import snn_progress_fn, snn_style_losses
    fn = "style_transfer"
    handle = _engine_handle(model, fn)
    for name, t in (("content", content), ("style", style), ("init", init)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {name} must be a swiftnn.Tensor, got {type(t).__name__}")
    if history is not None:
        report_every = 1
    o, keep = _options(fn, content_layers, style_layers, content_weight, style_weight, tv_weight, steps, lr,
                       mean, std, report_every)
    last = snn_style_losses()
    last.struct_size = ctypes.sizeof(last)
    o.losses = ctypes.pointer(last)
    o.initial = None if init is None else init._h
    errors: List[BaseException] = []

    def trampoline(p: Any, _user: Any) -> bool:
        try:
            losses = _losses(last)
            if history is not None:
                history.append(losses)
            r = progress(p.contents, losses) if progress is not None else None
            return True if r is None else bool(r)
        except BaseException as e:  # must not unwind through the engine: re-raised below
            errors.append(e)
            return False

    cb = snn_progress_fn(trampoline) if (progress is not None or history is not None) else snn_progress_fn()
    o.progress = cb
    out = ctypes.c_void_p()
    status = lib.snn_style_transfer(ctypes.byref(out), handle, content._h, style._h, ctypes.byref(o))
    del keep
    if errors:
        raise errors[0]
    check(status)
    result = Tensor._wrap(out.value)
    assert result is not None
    return result


def style_loss(model: Any, image: Tensor, content: Tensor, style: Tensor, *,
               content_layers: Optional[Sequence[str]] = None, style_layers: Optional[Sequence[str]] = None,
               content_weight: float = 1.0, style_weight: float = 1e7, tv_weight: float = 1.0,
               mean: Sequence[float] = _IMAGENET_MEAN, std: Sequence[float] = _IMAGENET_STD) -> Tuple[Tensor, StyleLosses]:
    """The style transfer's loss at `image` and its gradient with respect to the image, without
    optimizing: (grad, {"total", "content", "style", "tv"}); arguments as style_transfer's."""
    from .._ffi import snn_style_losses
    fn = "style_loss"
    handle = _engine_handle(model, fn)
    for name, t in (("image", image), ("content", content), ("style", style)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {name} must be a swiftnn.Tensor, got {type(t).__name__}")
    o, keep = _options(fn, content_layers, style_layers, content_weight, style_weight, tv_weight, 0, 0.02,
                       mean, std, 1)
    losses = snn_style_losses()
    losses.struct_size = ctypes.sizeof(losses)
    out = ctypes.c_void_p()
    status = lib.snn_style_loss(ctypes.byref(out), ctypes.byref(losses), handle, image._h, content._h, style._h,
                                ctypes.byref(o))
    del keep
    check(status)
    grad = Tensor._wrap(out.value)
    assert grad is not None
    return grad, _losses(losses)
