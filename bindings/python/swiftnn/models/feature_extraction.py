"""torchvision.models.feature_extraction for engine models: the outputs of named inner layers
in one forward pass (snn_module_features), by module path:

    fx = create_feature_extractor(model, return_nodes={"features.6": "c3", "features.18": "c5"})
    out = fx(x)            # {"c3": Tensor [N, 32, 28, 28], "c5": Tensor [N, 1280, 7, 7]}

torchvision traces the model's graph with torch.fx and can return any operation's output;
here a node is a module (a name of model.named_modules()), which covers what its examples
use, and the outputs are captured as the engine runs the model."""
from __future__ import annotations

import ctypes
from typing import Any, Callable, Mapping, Optional, Sequence, Union
from collections import OrderedDict

from .._lib import check, lib
from ..nn.modules import Module
from ..tensor import Tensor, _wrap_new


def _engine_handle(model: Any, fn: str) -> int:
    h = getattr(model, "_engine", None)
    if h is None or getattr(h, "value", None) is None:
        raise TypeError(f"{fn}: {type(model).__name__} is not an engine model (a zoo model, a built-in layer or a "
                        "Sequential of them); for a Python module use forward hooks")
    return int(h.value)


def get_graph_node_names(model: Module) -> tuple[list[str], list[str]]:
    """(train_nodes, eval_nodes): the names create_feature_extractor accepts, for a model in
    training and in eval mode (the same modules here): every inner module's dotted path."""
    names = [n for n, _ in model.named_modules() if n]
    return names, list(names)


class FeatureExtractor(Module):
    """Returns {output name: Tensor} for the requested inner modules (create_feature_extractor)."""

    def __init__(self, model: Module, return_nodes: Mapping[str, str]) -> None:
        super().__init__()
        self.model = model
        object.__setattr__(self, "return_nodes", OrderedDict(return_nodes))

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        if not isinstance(x, Tensor):
            raise TypeError(f"create_feature_extractor: expected a swiftnn.Tensor input, got {type(x).__name__}")
        names = list(self.return_nodes)
        outs = (ctypes.c_void_p * len(names))()
        arr = (ctypes.c_char_p * len(names))(*[n.encode() for n in names])
        check(lib.snn_module_features(outs, _engine_handle(self.model, "create_feature_extractor"), x._h, arr, len(names)))
        return OrderedDict((self.return_nodes[n], _wrap_new(outs[i])) for i, n in enumerate(names))


def create_feature_extractor(model: Module, return_nodes: Optional[Union[Sequence[str], Mapping[str, str]]] = None,
                             train_return_nodes: Optional[Union[Sequence[str], Mapping[str, str]]] = None,
                             eval_return_nodes: Optional[Union[Sequence[str], Mapping[str, str]]] = None,
                             **_: Any) -> FeatureExtractor:
    """torchvision's create_feature_extractor(model, return_nodes): return_nodes a list of
    module names (outputs keyed by the same names) or a dict {module name: output name}.
    Separate train/eval node sets are accepted when equal (a module is the same in both modes)."""
    _engine_handle(model, "create_feature_extractor")
    nodes = return_nodes if return_nodes is not None else train_return_nodes
    if train_return_nodes is not None and eval_return_nodes is not None and \
            list(train_return_nodes) != list(eval_return_nodes):
        raise ValueError("create_feature_extractor: train and eval return nodes differ; here a node is a module, "
                         "the same in both modes")
    if nodes is None:
        raise ValueError("create_feature_extractor: give return_nodes (a list or dict of module names)")
    if not isinstance(nodes, dict):
        nodes = {str(n): str(n) for n in nodes}
    known = set(get_graph_node_names(model)[0]) | {""}
    bad = [n for n in nodes if n not in known]
    if bad:
        raise ValueError(f"create_feature_extractor: node(s) {bad} are not modules of {type(model).__name__}; "
                         f"see get_graph_node_names(model)")
    return FeatureExtractor(model, nodes)


def cache_features(model: Module, inputs: Tensor, layer: str = "", *, batch_size: int = 64, transforms: Any = None,
                   path: Optional[str] = None, progress: Optional[Callable[[Any], Optional[bool]]] = None) -> Tensor:
    """Feature caching for transfer learning (snn_module_cache_features; no torchvision
    counterpart): runs the engine model once over `inputs` [N, ...] in batches of batch_size,
    in eval mode (restored afterwards) without recording, and returns the output of the inner
    module `layer` ("" is the model's output) for all N inputs as one Tensor [N, ...] that
    requires no gradient, so a head trained on it never runs the backbone again.

    transforms: None (batches go in as given) or an ImageClassification preset
    (weights.transforms(crop_size=..., resize_size=...)), applied to each batch in the engine;
    one-channel images are repeated to three first (Grayscale(num_output_channels=3)).
    path: also write the features there as safetensors (tensor "features"; read back with
    swiftnn.load_file(path)["features"] or safetensors). progress(p): called after every batch
    with step, steps_per_epoch, samples_per_second, elapsed_seconds, eta_seconds; return False
    to stop (raises)."""
    from .._ffi import snn_feature_cache_options, snn_image_preprocess_options, snn_progress_fn
    from .mobilenet import ImageClassification
    if not isinstance(inputs, Tensor):
        raise TypeError(f"cache_features: inputs must be a swiftnn.Tensor, got {type(inputs).__name__}")
    if transforms is not None and not isinstance(transforms, ImageClassification):
        raise TypeError(f"cache_features: transforms must be None or an ImageClassification preset, got {type(transforms).__name__}")
    handle = _engine_handle(model, "cache_features")
    errors = []

    def trampoline(p: Any, _user: Any) -> bool:
        try:
            assert progress is not None
            r = progress(p.contents)
            return True if r is None else bool(r)
        except BaseException as e:  # must not unwind through the engine: re-raised below
            errors.append(e)
            return False

    o = snn_feature_cache_options()
    check(lib.snn_feature_cache_options_init(ctypes.byref(o)))
    o.batch_size = int(batch_size)
    pre = snn_image_preprocess_options()
    if transforms is not None:
        check(lib.snn_image_preprocess_options_init(ctypes.byref(pre)))
        pre.resize_size, pre.crop_size = transforms.resize_size[0], transforms.crop_size[0]
        for i in range(3):
            pre.mean[i], pre.std[i] = transforms.mean[i], transforms.std[i]
        o.preprocess = ctypes.pointer(pre)
    path_bytes = None if path is None else str(path).encode()
    o.path = path_bytes
    cb = snn_progress_fn(trampoline) if progress else snn_progress_fn()
    o.progress = cb
    out = ctypes.c_void_p()
    status = lib.snn_module_cache_features(ctypes.byref(out), handle, inputs._h, str(layer).encode(), ctypes.byref(o))
    if errors:
        raise errors[0]
    check(status)
    result = Tensor._wrap(out.value)
    assert result is not None
    return result
