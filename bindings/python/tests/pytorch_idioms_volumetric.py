"""The 3-D layers as PyTorch code uses them (issue 17): nn.MaxPool3d with indices, nn.AvgPool3d
with ceil_mode and count_include_pad=False, and nn.ConvTranspose3d with set weights, forward and
the gradients of its input, weight and bias. Run by tools/gen_pytorch_idioms.py with PyTorch and
by test_pytorch_idioms.py with swiftnn, like every idiom."""

IDIOMS = [
    ("maxpool3d_module_with_indices", """
x = torch.arange(2 * 4 * 5 * 6, dtype=torch.float32).reshape(1, 2, 4, 5, 6).sin()
pool = torch.nn.MaxPool3d(2, stride=(1, 2, 2), padding=(1, 0, 1), return_indices=True)
out, idx = pool(x)
result = (out, idx)
""", None),
    ("avgpool3d_module_ceil_mode", """
x = torch.arange(3 * 5 * 5 * 4, dtype=torch.float32).reshape(3, 5, 5, 4).cos()
x.requires_grad_(True)
y = torch.nn.AvgPool3d((3, 2, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False)(x)
y.sum().backward()
result = (y, x.grad)
""", None),
    ("convtranspose3d_module_forward_and_grads", """
m = torch.nn.ConvTranspose3d(4, 6, (3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1), groups=2)
with torch.no_grad():
    m.weight.copy_(torch.linspace(-1, 1, m.weight.numel()).reshape(m.weight.shape))
    m.bias.copy_(torch.linspace(-0.5, 0.5, 6))
x = torch.linspace(-2, 2, 1 * 4 * 3 * 3 * 2).reshape(1, 4, 3, 3, 2).requires_grad_(True)
y = m(x)
(y * y).sum().backward()
result = (tuple(m.weight.shape), y, x.grad, m.weight.grad, m.bias.grad)
""", None),
]
