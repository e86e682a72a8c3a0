"""swiftnn.nn: PyTorch's torch.nn names. Functional forms are in swiftnn.nn.functional."""
from . import functional
