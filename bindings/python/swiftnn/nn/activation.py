"""The activation modules PyTorch adds over ReLU (torch.nn.GELU, SiLU, Hardswish, ...): Python
modules over the engine's functional ops, with torch's constructor arguments and PReLU's
`weight` parameter, so PyTorch state dicts load unchanged."""
from __future__ import annotations

from typing import Any

from .. import elementwise as F
from ..tensor import Tensor, full
from .modules import Module, Parameter


class _Elementwise(Module):
    """A parameter-free activation: forward is one engine op with fixed keyword arguments."""
    _fn: Any = None
    _args: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        out: Tensor = type(self)._fn(input, **{k: getattr(self, k) for k in self._args})
        return out

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._args)


class GELU(_Elementwise):
    """nn.GELU(approximate="none"): x * Phi(x) (approximate="tanh": the tanh form). Any shape."""

    _fn, _args = F.gelu, ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate)


class SiLU(_Elementwise):
    """nn.SiLU: x * sigmoid(x). Any shape."""

    _fn, _args = F.silu, ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardswish(_Elementwise):
    """nn.Hardswish: x * min(max(x + 3, 0), 6) / 6. Any shape."""

    _fn, _args = F.hardswish, ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardsigmoid(_Elementwise):
    """nn.Hardsigmoid: min(max(x / 6 + 1/2, 0), 1). Any shape."""

    _fn, _args = F.hardsigmoid, ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Softplus(_Elementwise):
    """nn.Softplus(beta=1, threshold=20): log(1 + exp(beta x)) / beta, x where beta x > threshold."""

    _fn, _args = F.softplus, ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class ELU(_Elementwise):
    """nn.ELU(alpha=1.0): x for x > 0, alpha (exp(x) - 1) otherwise."""

    _fn, _args = F.elu, ("alpha", "inplace")

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha, inplace=inplace)


class CELU(_Elementwise):
    """nn.CELU(alpha=1.0): max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""

    _fn, _args = F.celu, ("alpha", "inplace")

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha, inplace=inplace)


class SELU(_Elementwise):
    """nn.SELU: scale (max(0, x) + min(0, alpha (exp(x) - 1))) with the self-normalising constants."""

    _fn, _args = F.selu, ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Mish(_Elementwise):
    """nn.Mish: x * tanh(softplus(x)). Any shape."""

    _fn, _args = F.mish, ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Softsign(_Elementwise):
    """nn.Softsign: x / (1 + |x|). Any shape."""

    _fn = F.softsign


class PReLU(Module):
    """input where input > 0, else weight * input; weight holds num_parameters values (1, or the
    number of channels, dim 1 of the input), each starting at `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        object.__setattr__(self, "num_parameters", num_parameters)
        self.weight = Parameter(full((num_parameters,), float(init)))

    def forward(self, input: Tensor) -> Tensor:
        """The layer applied to `input` (call the module itself: module(input))."""
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"num_parameters={self.num_parameters}"
