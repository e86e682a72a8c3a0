"""Gradient hooks at the edges PyTorch's idioms do not reach (pytorch_idioms_hooks.py has the
values): a hook's Python callable is dropped when the engine lets go of the hook, and a
process that exits with hooks still registered on live leaves exits cleanly (the engine calls
the release thunk during the interpreter's last collection)."""
import os
import subprocess
import sys

import swiftnn
from swiftnn import _grad_hooks


def test_callables_are_dropped_with_the_graph_removal_and_the_leaf():
    before = len(_grad_hooks._hooks)
    x = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g)
    handle = x.register_hook(lambda g: g * 3)
    assert len(_grad_hooks._hooks) == before + 2
    y.sum().backward()  # frees the graph and y's hook with it
    assert x.grad.tolist() == [6.0, 6.0]
    assert len(_grad_hooks._hooks) == before + 1
    handle.remove()
    assert len(_grad_hooks._hooks) == before
    z = swiftnn.tensor([1.0], requires_grad=True)
    z.register_hook(lambda g: None)
    assert len(_grad_hooks._hooks) == before + 1
    del z
    assert len(_grad_hooks._hooks) == before


def test_exiting_with_hooks_registered_is_clean():
    code = ("import swiftnn\n"
            "keep = [swiftnn.tensor([float(i)], requires_grad=True) for i in range(50)]\n"
            "for t in keep: t.register_hook(lambda g: g * 2)\n"
            "loss = sum((t * t).sum() for t in keep)\n"
            "y = keep[0] * 3\n"
            "y.register_hook(lambda g: g)\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stdout, r.stderr[-2000:])
    assert "Exception ignored" not in r.stderr, r.stderr[-2000:]
