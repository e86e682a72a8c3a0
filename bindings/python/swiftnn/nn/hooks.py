"""Module hooks (torch.utils.hooks.RemovableHandle and the hook dictionaries of nn.Module):
register_forward_pre_hook / register_forward_hook return a handle whose remove() unregisters
the hook. Python-side by nature: a hook is a Python function around a module's call."""
from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple

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
    d = module.__dict__.get(name)
    if d is None:
        d = OrderedDict()
        object.__setattr__(module, name, d)
    return d


def add_hook(module: Any, name: str, hook: Callable[..., Any], prepend: bool, entry: Any) -> RemovableHandle:
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
