"""swiftnn.autograd.gradcheck, as torch.autograd.gradcheck: every float output's Jacobian with
respect to every input that requires grad, by backward (one output element at a time) and by
central differences (eps), compared within atol + rtol * |numerical|. Use float64 inputs:
float32 rounding swamps a 1e-6 step (a warning says so, as PyTorch's does)."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import dtypes as _dtypes
from .tensor import Tensor, from_numpy


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the two Jacobians disagree (PyTorch's GradcheckError)."""


def _outputs(func: Callable[..., Any], args: Sequence[Any]) -> list[Tensor]:
    out = func(*args)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def gradcheck(func: Callable[..., Any], inputs: Union[Tensor, Sequence[Any]], *, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True when backward's Jacobian matches central differences for every (input, output)
    pair; otherwise raises GradcheckError (or returns False with raise_exception=False)."""
    ins: tuple[Any, ...] = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in wrt:
        if ins[i].dtype is not _dtypes.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point "
                          f"({ins[i].dtype}): gradcheck's central differences need float64")
    values: list[Any] = [x.detach().numpy() if isinstance(x, Tensor) else x for x in ins]

    def run(replace: Optional[tuple[int, np.ndarray[Any, Any]]] = None) -> list[np.ndarray[Any, Any]]:
        args = [from_numpy(v) if isinstance(ins[i], Tensor) else v for i, v in enumerate(values)]
        if replace is not None:
            i, arr = replace
            args[i] = from_numpy(arr)
        return [o.detach().numpy().astype(np.float64) for o in _outputs(func, args)]

    # Analytical: fresh leaves, one backward per output element.
    leaves: list[Any] = [from_numpy(v).requires_grad_(i in wrt) if isinstance(ins[i], Tensor) else v
              for i, v in enumerate(values)]
    outs = _outputs(func, leaves)
    for j, o in enumerate(outs):
        n = o.numel()
        analytical = {i: np.zeros((values[i].size, n)) for i in wrt}
        for m in range(n):
            for i in wrt:
                leaves[i].grad = None
            onehot = np.zeros(o.numel(), dtype=o.dtype.np)
            onehot[m] = 1
            if o.requires_grad:
                o.backward(from_numpy(onehot.reshape(tuple(o.shape))), retain_graph=True)
            for i in wrt:
                g = leaves[i].grad
                if g is not None:
                    analytical[i][:, m] = g.numpy().reshape(-1)
        # Numerical: central differences of output j for each element of each input.
        for i in wrt:
            numerical = np.zeros_like(analytical[i])
            flat = values[i].reshape(-1)
            for k in range(flat.size):
                plus, minus = flat.copy(), flat.copy()
                plus[k] += eps
                minus[k] -= eps
                op = run((i, plus.reshape(values[i].shape)))[j].reshape(-1)
                om = run((i, minus.reshape(values[i].shape)))[j].reshape(-1)
                numerical[k, :] = (op - om) / (2 * eps)
            bad = np.abs(analytical[i] - numerical) > atol + rtol * np.abs(numerical)
            if bad.any():
                k, m = np.argwhere(bad)[0]
                msg = (f"Jacobian mismatch for output {j} with respect to input {i}: element ({k}, {m}) "
                       f"analytical {analytical[i][k, m]!r}, numerical {numerical[k, m]!r}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True
