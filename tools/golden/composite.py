"""Composite golden cases: whole small networks whose loss and every parameter gradient must
equal PyTorch's on the same weights (a 2-layer MLP with cross-entropy; a conv net)."""
import torch
import torch.nn.functional as F


def build(a):
    # 2-layer MLP: x [8, 20] -> Linear(20, 16) -> ReLU -> Linear(16, 5) -> cross-entropy.
    x, w1, b1 = a.randn(8, 20), a.randn(16, 20, scale=0.3), a.randn(16, scale=0.1)
    w2, b2, y = a.randn(5, 16, scale=0.3), a.randn(5, scale=0.1), a.ints(0, 5, 8)
    a.case("mlp2_cross_entropy", "mlp2", [x, w1, b1, w2, b2, y],
           lambda x, w1, b1, w2, b2, y: F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y))
    # The same MLP with tanh and mean-squared error against a float target.
    t = a.randn(8, 5)
    a.case("mlp2_tanh_mse", "mlp2_tanh_mse", [x, w1, b1, w2, b2, t],
           lambda x, w1, b1, w2, b2, t: F.mse_loss(F.linear(torch.tanh(F.linear(x, w1, b1)), w2, b2), t))
    # conv -> relu -> max-pool -> flatten -> linear -> log-softmax -> nll
    xi, k, kb = a.randn(2, 2, 6, 6), a.randn(3, 2, 3, 3, scale=0.4), a.randn(3, scale=0.1)
    wl, bl, yl = a.randn(4, 12, scale=0.3), a.randn(4, scale=0.1), a.ints(0, 4, 2)
    a.case("convnet_nll", "convnet_nll", [xi, k, kb, wl, bl, yl],
           lambda x, k, kb, wl, bl, y: F.nll_loss(F.log_softmax(F.linear(
               F.max_pool2d(F.relu(F.conv2d(x, k, kb)), 2).flatten(1), wl, bl), dim=1), y))
