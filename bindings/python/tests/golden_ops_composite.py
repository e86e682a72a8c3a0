"""Composite golden cases from Python, written exactly as the PyTorch reference (F.*)."""
import swiftnn
from swiftnn.nn import functional as F

OPS = {
    "mlp2": lambda x, a: F.cross_entropy(F.linear(F.relu(F.linear(x[0], x[1], x[2])), x[3], x[4]), x[5]),
    "mlp2_tanh_mse": lambda x, a: F.mse_loss(F.linear(swiftnn.tanh(F.linear(x[0], x[1], x[2])), x[3], x[4]), x[5]),
    "convnet_nll": lambda x, a: F.nll_loss(F.log_softmax(F.linear(
        F.max_pool2d(F.relu(F.conv2d(x[0], x[1], x[2])), 2).flatten(1), x[3], x[4]), dim=1), x[5]),
}
