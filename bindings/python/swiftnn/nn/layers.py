"""Built-in layers with torch.nn's names and constructor arguments; each wraps an engine
module (one C call per forward; parameters are the engine's live tensors)."""
import ctypes

from .._lib import check, lib
from .modules import EngineModule


def _make(fn, *args):
    h = ctypes.c_void_p()
    check(fn(ctypes.byref(h), *args))
    return h.value


class ReLU(EngineModule):
    def __init__(self, inplace=False):
        self._bind(_make(lib.snn_module_relu))


class LeakyReLU(EngineModule):
    def __init__(self, negative_slope=0.01, inplace=False):
        self._bind(_make(lib.snn_module_leaky_relu, negative_slope))


class ReLU6(EngineModule):
    def __init__(self, inplace=False):
        self._bind(_make(lib.snn_module_relu6))


class Tanh(EngineModule):
    def __init__(self):
        self._bind(_make(lib.snn_module_tanh))


class Sigmoid(EngineModule):
    def __init__(self):
        self._bind(_make(lib.snn_module_sigmoid))


class Flatten(EngineModule):
    def __init__(self, start_dim=1, end_dim=-1):
        self._bind(_make(lib.snn_module_flatten, start_dim, end_dim))
