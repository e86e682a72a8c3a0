"""Elementwise math, activations and powers with PyTorch's names: swiftnn.exp(t), t.exp(),
t.clamp(min=0), t ** 2, 2 ** t, -t, abs(t), swiftnn.sin(t), t.floor(). The activations (relu,
gelu, silu, softplus, elu, mish, prelu, ...) take torch.nn.functional's arguments, so
swiftnn.nn.functional can re-export them.
Importing this module installs the method forms on Tensor (swiftnn/__init__.py does)."""
from __future__ import annotations

import numbers
from typing import Any, Callable, Optional

from ._ffi import SNN_GELU_NONE, SNN_GELU_TANH
from ._lib import AutogradError, lib
from ._typing import TensorOrNumber
from .tensor import Tensor, _as_tensor, _new


def _tensor_arg(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"swiftnn.{name}: argument 'input' must be a Tensor, not {type(input).__name__}")
    return input


def _unary(fn: Callable[..., int], input: Any, name: str, *args: Any) -> Tensor:
    return _new(fn, _tensor_arg(input, name)._h, *args)


def _in_place(input: Tensor, out: Tensor, inplace: bool, name: str) -> Tensor:
    """`inplace=True`: the input object takes the result (as torch's in-place activations do).
    Only this Python object changes; other tensors sharing its storage keep the old values."""
    if not inplace:
        return out
    if input.requires_grad and input.is_leaf:
        raise AutogradError(f"swiftnn.{name}: a leaf tensor that requires grad cannot be modified in place "
                            "(inplace=True); use inplace=False")
    input._h, out._h = out._h, input._h
    return input


# ---- math ------------------------------------------------------------------------------------

def neg(input: Tensor) -> Tensor:
    """-input."""
    return _unary(lib.snn_tensor_neg, input, "neg")


def exp(input: Tensor) -> Tensor:
    """e ** input (inf above about 88.72)."""
    return _unary(lib.snn_tensor_exp, input, "exp")


def log(input: Tensor) -> Tensor:
    """Natural logarithm: log(0) = -inf, log of a negative number = nan."""
    return _unary(lib.snn_tensor_log, input, "log")


def sqrt(input: Tensor) -> Tensor:
    """Square root: nan for negative numbers."""
    return _unary(lib.snn_tensor_sqrt, input, "sqrt")


def abs(input: Tensor) -> Tensor:  # noqa: A001  (torch.abs)
    """|input|; the gradient at 0 is 0."""
    return _unary(lib.snn_tensor_abs, input, "abs")


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, in (-1, 1)."""
    return _unary(lib.snn_tensor_tanh, input, "tanh")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input))."""
    return _unary(lib.snn_tensor_sigmoid, input, "sigmoid")


def pow(input: TensorOrNumber, exponent: TensorOrNumber) -> Tensor:  # noqa: A001  (torch.pow)
    """input ** exponent, either of which may be a number (not both), broadcasting two tensors."""
    if isinstance(input, Tensor):
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, Tensor) and input.dtype.is_floating_point:
            return _new(lib.snn_tensor_pow_scalar, input._h, float(exponent))
        # An integer tensor keeps the number's type (int ** 2 is int, int ** 2.5 float32).
        exponent = _as_tensor(exponent)
        return _new(lib.snn_tensor_pow, input._h, exponent._h)
    if isinstance(exponent, Tensor):
        if not isinstance(input, numbers.Real):
            raise TypeError(f"swiftnn.pow: base must be a Tensor or a number, not {type(input).__name__}")
        base = _as_tensor(input)  # kept referenced until the call returns; 2 ** int_tensor is int
        return _new(lib.snn_tensor_pow, base._h, exponent._h)
    raise TypeError(f"swiftnn.pow: expected a Tensor base or exponent, got {type(input).__name__} "
                    f"and {type(exponent).__name__}")


def clamp(input: Tensor, min: Optional[TensorOrNumber] = None,  # noqa: A002  (torch's argument names)
          max: Optional[TensorOrNumber] = None) -> Tensor:  # noqa: A002
    """Limits input to [min, max]; either bound may be None, not both. min > max gives max.
    Tensor bounds broadcast and get gradients (a number beside a tensor bound is a 0-d one)."""
    _tensor_arg(input, "clamp")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = None if min is None else _as_tensor(min)  # kept referenced until the call returns
        hi = None if max is None else _as_tensor(max)
        return _new(lib.snn_tensor_clamp_tensor, input._h, None if lo is None else lo._h, None if hi is None else hi._h)
    has_min, has_max = min is not None, max is not None
    return _new(lib.snn_tensor_clamp, input._h, float(min) if min is not None else 0.0,
                float(max) if max is not None else 0.0, has_min, has_max)


# ---- activations (torch.nn.functional's signatures) -----------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    return _in_place(input, _unary(lib.snn_tensor_relu, input, "relu"), inplace, "relu")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where input > 0, else input * negative_slope."""
    out = _unary(lib.snn_tensor_leaky_relu, input, "leaky_relu", float(negative_slope))
    return _in_place(input, out, inplace, "leaky_relu")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6)."""
    return _in_place(input, _unary(lib.snn_tensor_relu6, input, "relu6"), inplace, "relu6")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * min(max(input + 3, 0), 6) / 6."""
    return _in_place(input, _unary(lib.snn_tensor_hardswish, input, "hardswish"), inplace, "hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input + 3, 0), 6) / 6."""
    return _in_place(input, _unary(lib.snn_tensor_hardsigmoid, input, "hardsigmoid"), inplace, "hardsigmoid")


_GELU_APPROXIMATE = {"none": SNN_GELU_NONE, "tanh": SNN_GELU_TANH}


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """input * Phi(input) (Phi the normal CDF), or its tanh approximation (approximate='tanh')."""
    if approximate not in _GELU_APPROXIMATE:
        raise ValueError(f"swiftnn.gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return _unary(lib.snn_tensor_gelu, input, "gelu", _GELU_APPROXIMATE[approximate])


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input) (swish)."""
    return _in_place(input, _unary(lib.snn_tensor_silu, input, "silu"), inplace, "silu")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta; input itself where beta * input > threshold."""
    return _unary(lib.snn_tensor_softplus, input, "softplus", float(beta), float(threshold))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where input > 0, else alpha * (exp(input) - 1)."""
    return _in_place(input, _unary(lib.snn_tensor_elu, input, "elu", float(alpha)), inplace, "elu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where input > 0, else alpha * (exp(input / alpha) - 1)."""
    return _in_place(input, _unary(lib.snn_tensor_celu, input, "celu", float(alpha)), inplace, "celu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with SELU's fixed alpha and scale."""
    return _in_place(input, _unary(lib.snn_tensor_selu, input, "selu"), inplace, "selu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input))."""
    return _in_place(input, _unary(lib.snn_tensor_mish, input, "mish"), inplace, "mish")


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|)."""
    return _unary(lib.snn_tensor_softsign, input, "softsign")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """input where input > 0, else weight * input; weight has one value or one per channel (dim 1)."""
    return _new(lib.snn_tensor_prelu, _tensor_arg(input, "prelu")._h, _tensor_arg(weight, "prelu")._h)


# ---- trigonometry, erf, rounding -------------------------------------------------------------

def _unary_fn(name: str, doc: str) -> Callable[[Tensor], Tensor]:
    c = getattr(lib, f"snn_tensor_{name}")

    def f(input: Tensor) -> Tensor:
        return _unary(c, input, name)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


sin = _unary_fn("sin", "Sine.")
cos = _unary_fn("cos", "Cosine.")
tan = _unary_fn("tan", "Tangent.")
asin = _unary_fn("asin", "Arcsine: nan outside [-1, 1].")
acos = _unary_fn("acos", "Arccosine: nan outside [-1, 1].")
atan = _unary_fn("atan", "Arctangent.")
sinh = _unary_fn("sinh", "Hyperbolic sine.")
cosh = _unary_fn("cosh", "Hyperbolic cosine.")
asinh = _unary_fn("asinh", "Inverse hyperbolic sine.")
acosh = _unary_fn("acosh", "Inverse hyperbolic cosine: nan below 1.")
atanh = _unary_fn("atanh", "Inverse hyperbolic tangent: +-inf at +-1, nan outside [-1, 1].")
erf = _unary_fn("erf", "The error function.")
floor = _unary_fn("floor", "Rounds down; gradient 0.")
ceil = _unary_fn("ceil", "Rounds up; gradient 0.")
sign = _unary_fn("sign", "1, -1 or 0 (0 for nan); gradient 0.")
reciprocal = _unary_fn("reciprocal", "1 / input.")


def round(input: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001  (torch.round)
    """Rounds to the nearest integer, halves to even (round(2.5) = 2); gradient 0."""
    if decimals != 0:
        raise NotImplementedError("swiftnn.round: decimals != 0 is not supported")
    return _unary(lib.snn_tensor_round, input, "round")


# ---- method forms ----------------------------------------------------------------------------

def _relu_method(self: Tensor) -> Tensor:
    """max(self, 0) (torch.Tensor.relu)."""
    return relu(self)


def _rpow(self: Tensor, other: TensorOrNumber) -> Tensor:
    return pow(other, self)


_T: Any = Tensor  # installs what _tensor_methods.py declares
_T.neg = _T.__neg__ = neg
_T.abs = _T.__abs__ = abs
_T.exp = exp
_T.log = log
_T.sqrt = sqrt
_T.tanh = tanh
_T.sigmoid = sigmoid
_T.relu = _relu_method
_T.pow = _T.__pow__ = pow
_T.__rpow__ = _rpow
_T.clamp = clamp
for _name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf",
              "floor", "ceil", "round", "sign", "reciprocal"):
    setattr(Tensor, _name, globals()[_name])
_T.arcsin, _T.arccos, _T.arctan = asin, acos, atan
_T.arcsinh, _T.arccosh, _T.arctanh = asinh, acosh, atanh
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh  # torch's aliases
