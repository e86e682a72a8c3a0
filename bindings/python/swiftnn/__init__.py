"""SwiftNN for Python: a thin ctypes binding over libswiftnn.so with PyTorch's names.

    import swiftnn
    x = swiftnn.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = (x @ x).sum()
    y.backward()
    x.grad.numpy()
"""
import builtins as _builtins

from ._lib import (AutogradError, DTypeError, FormatError, InternalError, InvalidArgumentError,
                   InvalidHandleError, OutOfMemoryError, OutOfRangeError, ShapeError, SwiftNNError,
                   SwiftNNIOError, UnsupportedError, lib as _lib, live_handles, path as library_path)
from ._logging import set_log_callback, set_log_level  # the engine's log -> logging 'swiftnn'
from . import backends  # noqa: F401  (swiftnn.backends.cpu.get_cpu_capability)
from . import data
from . import io  # noqa: F401  (swiftnn.io: read_image, write_png)
from .autograd import is_grad_enabled, no_grad
from .serialization import load, save
from .session import Session
from . import nn
from . import train
from . import models  # noqa: F401  (swiftnn.models: ImageCaptioner)
from . import rl  # noqa: F401  (swiftnn.rl: DQN trained in the engine, swiftnn/dqn.h)
from .elementwise import abs, clamp, exp, log, neg, pow, relu, sigmoid, sqrt, tanh  # noqa: A001 (torch's names)
from .elementwise import (acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin, asinh, atan, atanh,  # noqa: A004
                          ceil, celu, cos, cosh, erf, floor, prelu, reciprocal, round, selu, sign, sin, sinh, tan)
from .shape import broadcast_to, cat, concat, concatenate, flatten, index_select, narrow, permute, reshape, select, squeeze, stack, swapaxes, swapdims, t, transpose, unsqueeze  # noqa: E501
from . import conv  # noqa: F401  (swiftnn.conv: conv2d, pooling, batch_norm, dropout, linear)
from . import inplace  # noqa: F401  (Tensor.add_, t[...] = v, stride(), contiguous(): swiftnn/inplace.h)
from .dtypes import dtype, float32, int64, long
from .tensor import (Size, Tensor, add, arange, as_tensor, div, from_numpy, full, manual_seed, matmul, mean, mul, ones,
                     rand, randn, sub, sum, tensor, zeros)
from . import convert  # noqa: F401  (Tensor.to, .float(), .double(), .long(), ...)
from .arith import floor_divide, promote_types, remainder, result_type
from .creation import (empty, empty_like, eye, full_like, get_default_dtype, linspace, ones_like, rand_like,
                       randn_like, zeros_like)
from .dtypes import float  # noqa: A001  (torch.float)
from .dlpack import from_dlpack
from .strided import as_strided  # also Tensor.as_strided
from . import optim
from . import utils  # noqa: F401  (swiftnn.utils.data: Dataset, DataLoader, samplers)
from . import distributed  # noqa: F401  (swiftnn.distributed: MPI process group, collectives)
from .generator import Generator, randperm
from . import onnx  # noqa: F401  (swiftnn.onnx: export by tracing, load ONNX files)
from ._compile import compile  # noqa: A004  (torch.compile's place: planned inference)
from . import models
from .compare import (all, allclose, any, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, count_nonzero, eq,  # noqa: A004
                      equal, ge, greater, greater_equal, gt, isclose, isfinite, isinf, isnan, le, less, less_equal,
                      logical_and, logical_not, logical_or, logical_xor, lt, masked_fill, ne, nonzero, not_equal, where)
from .sorting import argsort, gather, index_add, maximum, minimum, scatter, scatter_add, sort, topk
from .einsum import einsum
from .reduce import amax, amin, argmax, argmin, log_softmax, logsumexp, max, min, softmax, std, var  # noqa: A004

__version__ = _lib.snn_version().decode()


def set_num_threads(n: _builtins.int) -> None:
    """Threads the engine uses (process-wide; see snn_set_num_threads in swiftnn.h)."""
    from ._lib import check
    check(_lib.snn_set_num_threads(_builtins.int(n)))  # `int` here is torch.int, the dtype


def get_num_threads() -> _builtins.int:
    """Threads the engine uses (snn_get_num_threads)."""
    import ctypes
    from ._lib import check
    n = ctypes.c_int32()
    check(_lib.snn_get_num_threads(ctypes.byref(n)))
    return n.value


def memory_cached() -> _builtins.int:
    """Bytes of freed tensor buffers (1 MB or more each) held for reuse; see snn_memory_cached."""
    import ctypes
    from ._lib import check
    n = ctypes.c_int64()
    check(_lib.snn_memory_cached(ctypes.byref(n)))
    return n.value


def empty_cache() -> None:
    """Returns every held tensor buffer to the system (snn_memory_release_cached)."""
    from ._lib import check
    check(_lib.snn_memory_release_cached())


# torch's dtype names: `bool` and `int` in this module are dtypes (functions above use _builtins).
from .dtypes import bool, double, float64, int, int32, uint8  # noqa: A001,A004,E402

# The public names, listed for `from swiftnn import *` and for type checkers (mypy --strict re-exports
# only listed names); tests/test_public_all.py keeps the list complete.
__all__ = ["abs", "acos", "acosh", "add", "all", "allclose", "amax", "amin", "any", "arange", "arccos", "arccosh",
           "arcsin", "arcsinh", "arctan", "arctanh", "argmax", "argmin", "argsort", "as_strided", "as_tensor", "asin",
           "asinh",
           "atan", "atanh", "AutogradError", "backends", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
           "bool", "broadcast_to", "cat", "ceil", "celu", "clamp", "compile", "concat", "concatenate", "conv", "convert",
           "cos", "cosh", "count_nonzero", "data", "distributed", "div", "double", "dtype", "DTypeError", "einsum",
           "empty", "empty_cache", "empty_like", "eq", "equal", "erf", "exp", "eye", "flatten", "float", "float32",
           "float64", "floor", "floor_divide", "FormatError", "from_dlpack", "from_numpy", "full", "full_like",
           "gather", "ge", "Generator", "get_default_dtype", "get_num_threads", "greater", "greater_equal", "gt",
           "index_add", "index_select", "inplace", "int", "int32", "int64", "InternalError",
           "InvalidArgumentError", "InvalidHandleError", "io", "is_grad_enabled", "isclose", "isfinite", "isinf",
           "isnan", "le", "less", "less_equal", "library_path", "linspace", "live_handles", "load", "log",
           "log_softmax", "logical_and", "logical_not", "logical_or", "logical_xor", "logsumexp", "long", "lt",
           "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean", "memory_cached", "min", "minimum",
           "models", "mul", "narrow", "ne", "neg", "nn", "no_grad", "nonzero", "not_equal", "ones", "ones_like",
           "onnx", "optim", "OutOfMemoryError", "OutOfRangeError", "permute", "pow", "prelu", "promote_types", "rl",
           "rand", "rand_like", "randn", "randn_like", "randperm", "reciprocal", "relu", "remainder", "reshape",
           "result_type", "round", "save", "scatter", "scatter_add", "select", "selu", "Session",
           "set_log_callback", "set_log_level", "set_num_threads", "ShapeError", "sigmoid", "sign", "sin", "sinh",
           "Size", "softmax", "sort", "sqrt", "squeeze", "stack", "std", "sub", "sum", "swapaxes", "swapdims",
           "SwiftNNError", "SwiftNNIOError", "t", "tan", "tanh", "Tensor", "tensor", "topk", "train", "transpose",
           "uint8", "unsqueeze", "UnsupportedError", "utils", "var", "where", "zeros", "zeros_like"]
