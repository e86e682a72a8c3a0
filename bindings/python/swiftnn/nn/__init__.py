"""swiftnn.nn: modules with PyTorch's names. Built-in layers are engine modules; subclass
Module to compose your own, exactly as in PyTorch."""
from .container import ModuleList, Sequential, load_model, save_model
from .modules import EngineModule, Module, Parameter
from .recurrent import GRU, LSTM, RNN, Embedding, GRUCell, LSTMCell, RNNCell
