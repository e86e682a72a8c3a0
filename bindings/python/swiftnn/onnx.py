"""swiftnn.onnx: export models to ONNX (IR 8, opset 17) by tracing, and run ONNX files.

    swiftnn.onnx.export(model, example_input, "model.onnx")      # any swiftnn model
    sess = swiftnn.onnx.load("model.onnx")
    y = sess(x)                                                  # swiftnn Tensors in and out
    (y,) = sess.run(None, {"input": x_numpy})                    # onnxruntime's form, numpy out

export() works for built-in layers and Sequentials as well as for your own nn.Module subclasses:
the engine records every op called while `model(example_input)` runs, so a forward written in
Python with swiftnn ops and arithmetic exports as the graph of those ops. Dimension 0 of every
input is the symbolic "batch". Put the model in eval mode first (dropout and batch norm in
training mode cannot be exported)."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Mapping, Optional, Sequence, Union, cast

import numpy as np

from ._handles import Handle, new_handle, read_string
from ._lib import check, lib
from .autograd import no_grad
from .tensor import Tensor, _as_tensor, _wrap_new

__all__ = ["export", "load", "trace_module", "ONNXModel"]


def _handles(tensors: Sequence[Tensor]) -> ctypes.Array[ctypes.c_void_p]:
    return (ctypes.c_void_p * max(len(tensors), 1))(*[t._h for t in tensors])


def _names(names: Optional[Sequence[str]], n: int, what: str) -> Optional[ctypes.Array[ctypes.c_char_p]]:
    if names is None:
        return None
    strs = [str(s) for s in names]
    if len(strs) != n:
        raise ValueError(f"swiftnn.onnx.export: {len(strs)} {what} for {n} tensors")
    return (ctypes.c_char_p * max(n, 1))(*[s.encode() for s in strs])


def _check_eval(model: object) -> None:
    from .nn import BatchNorm1d, BatchNorm2d, Dropout
    modules = getattr(model, "named_modules", None)
    if modules is None:
        return
    training = [f"{type(m).__name__} '{n}'" if n else type(m).__name__ for n, m in modules()
                if isinstance(m, (Dropout, BatchNorm1d, BatchNorm2d)) and m.training]
    if training:
        raise ValueError(f"swiftnn.onnx.export: {', '.join(training)} {'is' if len(training) == 1 else 'are'} in "
                         "training mode; call model.eval() before exporting")


def export(model: Callable[..., Any], args: Any, f: Union[str, os.PathLike[str]],
           input_names: Optional[Sequence[str]] = None, output_names: Optional[Sequence[str]] = None) -> None:
    """Traces `model(*args)` and writes the ONNX graph of the ops it ran to the path `f`.

    args: a Tensor (or array), or a tuple of them for several inputs. input_names /
    output_names: lists of names (default "input"/"output", or numbered). Parameters and
    buffers are named by model.state_dict() keys ("0.weight", "fc1.bias", ...)."""
    def write(trace: Handle, inputs: list[Tensor], outputs: list[Tensor], names: Any) -> None:
        check(lib.snn_onnx_trace_export(trace.value, _handles(inputs), len(inputs), _names(input_names, len(inputs), "input_names"),
                                        _handles(outputs), len(outputs), _names(output_names, len(outputs), "output_names"),
                                        names._h if names is not None else None, os.fsencode(os.fspath(f))))
    _traced(model, args, "export", write)


def _traced(model: Callable[..., Any], args: Any, what: str, finish: Callable[[Handle, list[Tensor], list[Tensor], Any], Any]) -> Any:
    """Runs model(*args) under a trace (grad-free, eval checked) and hands the trace, inputs,
    outputs and the state-dict names to `finish`; the trace is freed afterwards."""
    inputs = [_as_tensor(a) for a in (args if isinstance(args, (tuple, list)) else (args,))]
    _check_eval(model)
    trace = new_handle(lib.snn_onnx_trace_begin, lib.snn_onnx_trace_free)
    try:
        with no_grad():
            result = model(*inputs)
        check(lib.snn_onnx_trace_end(trace.value))
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        for i, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                raise TypeError(f"swiftnn.onnx.{what}: output {i} of the model is a {type(o).__name__}, not a Tensor")
        state = model.state_dict(keep_vars=True) if hasattr(model, "state_dict") else {}
        from .serialization import TensorMap
        names = TensorMap.from_dict(state) if state else None
        return finish(trace, inputs, outputs, names)
    finally:
        lib.snn_onnx_trace_free(trace.value)
        trace._h = None


class NodeArg:
    """An input or output of a loaded model (onnxruntime's NodeArg: .name)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"NodeArg(name={self.name!r})"


class ONNXModel:
    """An ONNX file running on the SwiftNN engine. Call it like a module (Tensors in, Tensors
    out: one Tensor for a single output, a tuple otherwise) or like an onnxruntime session
    (`run(output_names, {name: array})`, numpy out)."""

    def __init__(self, handle: int) -> None:
        self._handle = Handle(handle, lib.snn_module_free)
        self._planned = True
        self.input_names = self._read_names(lib.snn_onnx_input_count, lib.snn_onnx_input_name)
        self.output_names = self._read_names(lib.snn_onnx_output_count, lib.snn_onnx_output_name)

    def _read_names(self, count_fn: Callable[..., int], name_fn: Callable[..., int]) -> list[str]:
        n = ctypes.c_size_t()
        check(count_fn(ctypes.byref(n), self._handle.value))
        return [read_string(name_fn, self._handle.value, i) for i in range(n.value)]

    def get_inputs(self) -> list[NodeArg]:
        """The graph inputs (each with .name), as onnxruntime's InferenceSession.get_inputs."""
        return [NodeArg(n) for n in self.input_names]

    def get_outputs(self) -> list[NodeArg]:
        """The graph outputs (each with .name), as onnxruntime's InferenceSession.get_outputs."""
        return [NodeArg(n) for n in self.output_names]

    def forward(self, *inputs: Any) -> Any:
        """The graph run on `inputs` in input order: one Tensor, or a tuple for several outputs."""
        xs = [_as_tensor(x) for x in inputs]
        cap = max(len(self.output_names), 1)
        outs = (ctypes.c_void_p * cap)()
        count = ctypes.c_size_t()
        check(lib.snn_module_forward_multi(outs, cap, ctypes.byref(count), self._handle.value, _handles(xs), len(xs)))
        results = [_wrap_new(outs[i]) for i in range(count.value)]
        return results[0] if len(results) == 1 else tuple(results)

    __call__ = forward

    def run(self, output_names: Optional[Sequence[str]],
            input_feed: Union[Mapping[str, Any], Sequence[Any]]) -> list[np.ndarray[Any, Any]]:
        """onnxruntime's InferenceSession.run: input_feed maps input names to arrays (or is a
        list in input order); returns a list of numpy arrays for output_names (None: all)."""
        if isinstance(input_feed, dict):
            unknown = [k for k in input_feed if k not in self.input_names]
            missing = [k for k in self.input_names if k not in input_feed]
            if unknown or missing:
                raise ValueError(f"ONNXModel.run: inputs are {self.input_names}; missing {missing}, unknown {unknown}")
            ordered = [input_feed[k] for k in self.input_names]
        else:
            ordered = list(input_feed)
        out = self.forward(*[x if isinstance(x, Tensor) else np.asarray(x) for x in ordered])
        results: list[Tensor] = list(out) if isinstance(out, tuple) else [out]
        by_name = dict(zip(self.output_names, results))
        wanted = self.output_names if output_names is None else list(output_names)
        for n in wanted:
            if n not in by_name:
                raise ValueError(f"ONNXModel.run: no output named {n!r} (outputs: {self.output_names})")
        return [by_name[n].numpy() for n in wanted]

    def plan_report(self, example: Any, runs: int = 0) -> str:
        """The inference plan for `example`'s shape: its fused steps and buffer sizes, and with
        runs > 0 each step's median time over that many forwards (a per-layer profile), or why
        the graph is not planned for that shape."""
        x = _as_tensor(example)
        # Room for a long report up front: a second call would time the forwards again.
        cap = 1 << 20
        buf = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t()
        check(lib.snn_onnx_plan_report(buf, cap, ctypes.byref(n), self._handle.value, x._h, int(runs)))
        return buf.value.decode("utf-8")

    @property
    def planned(self) -> bool:
        """Whether grad-free forwards use the compiled inference plan (default True)."""
        return self._planned

    @planned.setter
    def planned(self, enabled: bool) -> None:
        check(lib.snn_onnx_set_planned(self._handle.value, bool(enabled)))
        self._planned = bool(enabled)

    def state_dict(self) -> dict[str, Tensor]:
        """The initializers by name (the live tensors)."""
        from .serialization import TensorMap
        return TensorMap(new_handle(lib.snn_module_state_dict, lib.snn_tensor_map_free, self._handle.value)).to_dict()

    def __repr__(self) -> str:
        return f"ONNXModel(inputs={self.input_names}, outputs={self.output_names})"


def load(path: Union[str, os.PathLike[str]]) -> ONNXModel:
    """Loads an ONNX file as an ONNXModel (errors name the node, op or field at fault)."""
    h = ctypes.c_void_p()
    check(lib.snn_onnx_load(ctypes.byref(h), os.fsencode(os.fspath(path))))
    return ONNXModel(cast(int, h.value))  # set whenever the call succeeds


def trace_module(model: Callable[..., Any], args: Any) -> ONNXModel:
    """Traces `model(*args)` (as export does) and returns the graph as an ONNXModel in memory,
    running on the model's own parameters and buffers (not copies): grad-free calls take the
    compiled inference plan, in-place weight updates are seen, and calls that record gradients
    reach the model's parameters. Control flow that depends on data is fixed as traced."""
    def build(trace: Handle, inputs: list[Tensor], outputs: list[Tensor], names: Any) -> ONNXModel:
        h = ctypes.c_void_p()
        check(lib.snn_onnx_trace_module(ctypes.byref(h), trace.value, _handles(inputs), len(inputs), _handles(outputs),
                                        len(outputs), names._h if names is not None else None))
        return ONNXModel(cast(int, h.value))  # set whenever the call succeeds
    return cast(ONNXModel, _traced(model, args, "trace_module", build))
