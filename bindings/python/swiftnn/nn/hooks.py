"""Module hooks (torch.utils.hooks.RemovableHandle and the hook dictionaries of nn.Module):
register_forward_pre_hook / register_forward_hook / register_full_backward_hook /
register_full_backward_pre_hook return a handle whose remove() unregisters the hook.
Python-side by nature: a hook is a Python function around a module's call (the backward ones
ride on the engine's tensor hooks, Tensor.register_hook)."""
from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

_ids = itertools.count()


class RemovableHandle:
    """Unregisters one hook: handle.remove(), or use the handle as a context manager."""

    def __init__(self, hooks: Dict[int, Any]) -> None:
        self.hooks_dict = hooks
        self.id = next(_ids)

    def remove(self) -> None:
        """Unregisters the hook (a second call does nothing)."""
        self.hooks_dict.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def hook_dict(module: Any, name: str) -> "OrderedDict[int, Any]":
    """The module's hook dictionary `name`, created on first use (modules built before hooks
    existed, or restored by deepcopy, have none)."""
    d: Optional[OrderedDict[int, Any]] = module.__dict__.get(name)
    if d is None:
        d = OrderedDict()
        object.__setattr__(module, name, d)
    return d


# How many hooks were ever registered on any module: while none were, an engine-backed
# Sequential runs its layers in one engine call without looking for hooks on them.
registered = 0

_HOOK_DICTS = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks")


def has_hooks(module: Any) -> bool:
    """Whether the module itself has any forward or backward hook."""
    d = module.__dict__
    return any(d.get(name) for name in _HOOK_DICTS)


def add_hook(module: Any, name: str, hook: Callable[..., Any], prepend: bool, entry: Any) -> RemovableHandle:
    global registered
    registered += 1
    d = hook_dict(module, name)
    handle = RemovableHandle(d)
    d[handle.id] = entry
    if prepend:
        d.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """PyTorch's _call_impl without backward hooks: pre-hooks may replace the positional
    inputs (a non-tuple result is wrapped), forward hooks may replace the output."""
    pre = module.__dict__.get("_forward_pre_hooks")
    if pre:
        for hook, with_kwargs in list(pre.values()):
            if with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
    output = module.forward(*args, **kwargs)
    post = module.__dict__.get("_forward_hooks")
    if post:
        for hook, with_kwargs in list(post.values()):
            result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
            if result is not None:
                output = result
    return output


# ---- backward hooks (register_full_backward_hook, register_full_backward_pre_hook) ----------
#
# As PyTorch's BackwardHook, on tensor hooks: the tensor inputs that require grad and the tensor
# outputs pass through a view, a node of their own in the graph, and hooks on those views catch
# the gradients. Output gradients arrive first: the pre-hooks run once all have arrived; the
# full hooks run once every input's gradient has (or, when no input requires grad, right after
# the pre-hooks). PyTorch's one node over all inputs can replace several gradients at once;
# here a hook's returned tuple may replace them only when there is one such tensor, and
# otherwise must be None (a RuntimeError says so).

def _tensor_type() -> Any:
    from ..tensor import Tensor
    return Tensor


class _BackwardHookCall:
    """The hooks' bookkeeping for one call of the module."""

    def __init__(self, module: Any, n_inputs: int, n_outputs: int) -> None:
        self.module = module
        self.grad_inputs: list[Any] = [None] * n_inputs
        self.grad_outputs: list[Any] = [None] * n_outputs
        self.inputs_pending: set[int] = set()
        self.outputs_pending: set[int] = set()

    def _replace(self, result: Any, grads: list[Any], index: int, pending_total: int, what: str) -> Any:
        if result is None:
            return None
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(grads):
            raise RuntimeError(f"backward hook returned {len(result)} {what} gradients, expected {len(grads)}")
        if pending_total != 1:
            raise RuntimeError(f"swiftnn: a backward hook of {type(self.module).__name__} returned new {what} gradients, "
                               f"but {pending_total} {what} tensors need gradients; swiftnn can replace the {what} "
                               "gradient of a module with one such tensor only (return None to observe)")
        grads[:] = list(result)
        return result[index]

    def output_hook(self, index: int, total: int) -> Callable[[Any], Any]:
        def hook(grad: Any) -> Any:
            self.grad_outputs[index] = grad
            self.outputs_pending.discard(index)
            if self.outputs_pending:
                return None
            replacement = None
            for pre in list(self.module.__dict__.get("_backward_pre_hooks", {}).values()):
                r = self._replace(pre(self.module, tuple(self.grad_outputs)), self.grad_outputs, index, total, "output")
                replacement = r if r is not None else replacement
            if not self.inputs_pending and self.module.__dict__.get("_backward_hooks"):
                import warnings
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                              "since no inputs require gradients.", stacklevel=2)
                self._call_full(None, 0)
            return replacement
        return hook

    def input_hook(self, index: int, total: int) -> Callable[[Any], Any]:
        def hook(grad: Any) -> Any:
            self.grad_inputs[index] = grad
            self.inputs_pending.discard(index)
            if self.inputs_pending:
                return None
            return self._call_full(index, total)
        return hook

    def _call_full(self, index: Optional[int], total: int) -> Any:
        replacement = None
        for full in list(self.module.__dict__.get("_backward_hooks", {}).values()):
            result = full(self.module, tuple(self.grad_inputs), tuple(self.grad_outputs))
            if index is None:
                if result is not None:
                    raise RuntimeError("backward hook returned new input gradients, but no input of "
                                       f"{type(self.module).__name__} requires grad")
                continue
            r = self._replace(result, self.grad_inputs, index, total, "input")
            replacement = r if r is not None else replacement
        return replacement


def call_with_backward_hooks(module: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """call_with_hooks with the inputs and outputs routed through backward-hook views."""
    Tensor = _tensor_type()
    from ..autograd import is_grad_enabled
    if not is_grad_enabled():
        return call_with_hooks(module, args, kwargs)
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    state = _BackwardHookCall(module, len(positions), 0)
    routed = list(args)
    needing = [slot for slot, i in enumerate(positions) if routed[i].requires_grad]
    for slot in needing:
        i = positions[slot]
        routed[i] = routed[i].view(routed[i].shape)
        routed[i].register_hook(state.input_hook(slot, len(needing)))
        state.inputs_pending.add(slot)
    output = call_with_hooks(module, tuple(routed), kwargs)
    single = isinstance(output, Tensor)
    outputs = [output] if single else list(output) if isinstance(output, (tuple, list)) else None
    if outputs is None:
        return output
    state.grad_outputs = [None] * len(outputs)
    out_needing = [j for j, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
    for j in out_needing:
        outputs[j] = outputs[j].view(outputs[j].shape)
        outputs[j].register_hook(state.output_hook(j, len(out_needing)))
        state.outputs_pending.add(j)
    if single:
        return outputs[0]
    if hasattr(output, "_fields"):  # a namedtuple
        return type(output)(*outputs)
    return tuple(outputs) if isinstance(output, tuple) else outputs
