"""swiftnn.compile: a model's inference through the engine's compiled plan (torch.compile's
place in PyTorch code).

    model = swiftnn.compile(model)      # same calls, same results
    with swiftnn.no_grad():
        y = model(x)                    # planned: fused, channels-last, buffers reused

The first grad-free call in eval mode traces the model (swiftnn.onnx.trace_module) and later
calls run the traced graph, planned per input shape (see swiftnn/onnx.h, "Inference plan").
The trace runs on the model's own parameters, so optimizer steps and load_state_dict are seen;
replacing a submodule or a parameter object, or a forward whose control flow depends on the
data or on anything but the input's shape, needs swiftnn.compile again (or .recompile()).
Calls that record gradients, or with dropout or batch norm in training mode, run the model
itself."""
from __future__ import annotations

from typing import Any, Callable, Optional

from .autograd import is_grad_enabled
from .onnx import ONNXModel, _check_eval, trace_module
from .tensor import Tensor, _as_tensor

__all__ = ["compile", "CompiledModule"]


class CompiledModule:
    """The model and its traced graphs (one per input rank and non-batch sizes)."""

    def __init__(self, model: Any) -> None:
        self._orig_mod = model
        self._graphs: dict[tuple[int, ...], ONNXModel] = {}
        self._training_layers: dict[bool, bool] = {}

    def _has_training_layers(self) -> bool:
        """Whether a layer behaves differently in training mode (dropout, batch norm) and is
        in it: then the call is the model's own. Cached per value of the model's flag."""
        flag = bool(getattr(self._orig_mod, "training", False))
        if flag not in self._training_layers:
            try:
                _check_eval(self._orig_mod)
                self._training_layers[flag] = False
            except ValueError:
                self._training_layers[flag] = True
        return self._training_layers[flag]

    def _eager(self, args: tuple[Any, ...]) -> bool:
        # A network without dropout or batch norm (a DQN's) computes the same in either mode.
        if len(args) != 1 or self._has_training_layers():
            return True
        if is_grad_enabled():
            params = getattr(self._orig_mod, "parameters", None)
            if params is not None and any(p.requires_grad for p in params()):
                return True
        return False

    def __call__(self, *args: Any) -> Any:
        if self._eager(args):
            return self._orig_mod(*args)
        x = _as_tensor(args[0])
        return self._graph(x)(x)

    def _graph(self, x: Tensor) -> ONNXModel:
        """The traced graph for x's sizes after the batch. The trace runs on the first image
        alone: the graph's batch dimension is symbolic, and a trace keeps every activation of
        the traced forward (batch 8 of MobileNetV2: 1 s and 600 MB more than one image)."""
        key = tuple(x.shape[1:])
        graph = self._graphs.get(key)
        if graph is None:
            graph = trace_module(self._orig_mod, x[:1] if x.dim() > 0 and x.shape[0] > 1 else x)
            self._graphs[key] = graph
        return graph

    forward = __call__

    def recompile(self) -> None:
        """Forgets the traced graphs: the next call traces the model again."""
        self._graphs.clear()

    def plan_report(self, example: Any, runs: int = 0) -> str:
        """The inference plan for `example` (see ONNXModel.plan_report); traces if needed."""
        x = _as_tensor(example)
        return self._graph(x).plan_report(x, runs)

    def __getattr__(self, name: str) -> Any:
        # Everything else (eval, train, state_dict, parameters, ...) is the model's.
        return getattr(self._orig_mod, name)

    def __repr__(self) -> str:
        return f"CompiledModule({self._orig_mod!r})"


def compile(model: Optional[Callable[..., Any]] = None, *, fullgraph: bool = False, dynamic: Optional[bool] = None,
            backend: Any = "inductor", mode: Optional[str] = None, options: Optional[dict[str, Any]] = None,
            disable: bool = False) -> Any:
    """torch.compile's signature: returns the model wrapped for planned inference (the keyword
    arguments are accepted for PyTorch code and change nothing; disable=True returns the
    model itself). Used as a decorator without arguments it wraps the decorated model too."""
    if model is None:
        return lambda m: compile(m, disable=disable)
    if disable:
        return model
    return CompiledModule(model)
