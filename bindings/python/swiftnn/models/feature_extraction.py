"""torchvision.models.feature_extraction for engine models: the outputs of named inner layers
in one forward pass (snn_module_features), by module path:

    fx = create_feature_extractor(model, return_nodes={"features.6": "c3", "features.18": "c5"})
    out = fx(x)            # {"c3": Tensor [N, 32, 28, 28], "c5": Tensor [N, 1280, 7, 7]}

torchvision traces the model's graph with torch.fx and can return any operation's output;
here a node is a module (a name of model.named_modules()), which covers what its examples
use, and the outputs are captured as the engine runs the model."""
import ctypes
from collections import OrderedDict

from .._lib import check, lib
from ..nn.modules import Module
from ..tensor import Tensor


def _engine_handle(model, fn):
    h = getattr(model, "_engine", None)
    if h is None or getattr(h, "value", None) is None:
        raise TypeError(f"{fn}: {type(model).__name__} is not an engine model (a zoo model, a built-in layer or a "
                        "Sequential of them); for a Python module use forward hooks")
    return h.value


def get_graph_node_names(model):
    """(train_nodes, eval_nodes): the names create_feature_extractor accepts, for a model in
    training and in eval mode (the same modules here): every inner module's dotted path."""
    names = [n for n, _ in model.named_modules() if n]
    return names, list(names)


class FeatureExtractor(Module):
    """Returns {output name: Tensor} for the requested inner modules (create_feature_extractor)."""

    def __init__(self, model, return_nodes):
        super().__init__()
        self.model = model
        object.__setattr__(self, "return_nodes", OrderedDict(return_nodes))

    def forward(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"create_feature_extractor: expected a swiftnn.Tensor input, got {type(x).__name__}")
        names = list(self.return_nodes)
        outs = (ctypes.c_void_p * len(names))()
        arr = (ctypes.c_char_p * len(names))(*[n.encode() for n in names])
        check(lib.snn_module_features(outs, _engine_handle(self.model, "create_feature_extractor"), x._h, arr, len(names)))
        return OrderedDict((self.return_nodes[n], Tensor._wrap(outs[i])) for i, n in enumerate(names))


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None, **_):
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
