"""swiftnn.nn: modules with PyTorch's names. Built-in layers are engine modules; subclass
Module to compose your own, exactly as in PyTorch."""
from .container import ModuleList, Sequential, load_model, save_model
from .modules import EngineModule, Module, Parameter
from .containers_keyed import ModuleDict, ParameterDict, ParameterList
from .layers import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, LeakyReLU,
                     Linear, MaxPool2d, ReLU, ReLU6, Sigmoid, Tanh)
from .activation import CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Mish, PReLU, SiLU, Softplus, Softsign
from .normalization import GroupNorm, LayerNorm
from .passthrough import Identity, LogSoftmax, Softmax, Softmin, Unflatten
from .attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer
from .transformer import Transformer, TransformerDecoder, TransformerDecoderLayer
from .convolution import Conv1d, ConvTranspose2d
from .volumetric import AvgPool3d, ConvTranspose3d, MaxPool3d
from .resample import (CircularPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, Upsample, UpsamplingBilinear2d,
                       UpsamplingNearest2d, ZeroPad2d)
from .ctc import CTCLoss
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from . import functional
from . import init
from . import utils
from . import parallel  # noqa: F401  (nn.parallel.DistributedDataParallel)
from .parallel import SyncBatchNorm
from .recurrent import GRU, LSTM, RNN, Embedding, GRUCell, LSTMCell, RNNCell

# The public names, listed for `a star import` and for type checkers (mypy --strict re-exports
# only listed names); tests/test_public_all.py keeps the list complete.
__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "AvgPool3d", "ConvTranspose3d", "MaxPool3d", "BatchNorm1d", "BatchNorm2d", "BCELoss", "BCEWithLogitsLoss", "CELU",
           "CircularPad2d", "ConstantPad2d", "Conv1d", "Conv2d", "ConvTranspose2d", "CrossEntropyLoss", "CTCLoss",
           "Dropout", "ELU", "Embedding", "EngineModule", "Flatten", "functional", "GELU", "GroupNorm", "GRU",
           "GRUCell", "Hardsigmoid", "Hardswish", "HuberLoss", "Identity", "init", "KLDivLoss", "L1Loss", "LayerNorm",
           "LeakyReLU", "Linear", "load_model", "LogSoftmax", "LSTM", "LSTMCell", "MaxPool2d", "Mish", "Module", "ModuleDict",
           "ModuleList", "MSELoss", "MultiheadAttention", "NLLLoss", "parallel", "Parameter", "ParameterDict",
           "ParameterList", "PReLU", "ReflectionPad2d", "ReLU", "ReLU6", "ReplicationPad2d", "RNN", "RNNCell",
           "save_model", "SELU", "Sequential", "Sigmoid", "SiLU", "SmoothL1Loss", "Softmax", "Softmin", "Softplus", "Softsign",
           "SyncBatchNorm", "Tanh", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
           "TransformerEncoder", "TransformerEncoderLayer", "Unflatten", "Upsample", "UpsamplingBilinear2d",
           "UpsamplingNearest2d", "utils", "ZeroPad2d"]
