"""Idioms for Module.to(dtype), .double() and .float() (part of pytorch_idioms.IDIOMS, same
rules): floating parameters and buffers converted in place (the same Parameter objects),
integer buffers left alone, gradients converted, a float64 forward and backward through the
converted module, and PyTorch's error for a non-floating dtype. (The optimizers still update
float32 parameters only: an SGD step on a converted model is not an idiom yet.)"""

_LINEAR = """
lin = torch.nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
    lin.bias.copy_(torch.tensor([0.01, -0.02]))
"""

IDIOMS = [
    ("module_double_linear_forward_backward", _LINEAR + """
w = lin.weight
m = lin.double()
x = torch.tensor([[1.0, 2.0, 3.0], [-0.5, 0.25, 4.0]], dtype=torch.float64, requires_grad=True)
y = m(x)
(y * torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)).sum().backward()
result = (m is lin, lin.weight is w, lin.weight.dtype == torch.float64, lin.bias.dtype == torch.float64,
          y, lin.weight.grad, lin.bias.grad, x.grad, lin.weight.is_leaf, lin.weight.requires_grad)
""", None),
    ("module_to_dtype_and_back", _LINEAR + """
lin.to(torch.float64)
a = lin.weight.detach().clone()
lin.float()
b = lin.to("cpu").to(dtype=torch.float32).weight
result = (a, b, lin(torch.tensor([[1.0, 1.0, 1.0]])))
""", None),
    ("module_to_converts_grad", _LINEAR + """
lin(torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
lin.double()
result = (lin.weight.grad, lin.bias.grad)
""", None),
    ("module_double_sequential_batchnorm_buffers", """
net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
with torch.no_grad():
    net[0].weight.copy_(torch.tensor([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]))
    net[0].bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    net[3].weight.copy_(torch.tensor([[1.0, -0.5, 0.25]]))
    net[3].bias.copy_(torch.tensor([0.05]))
net.double()
x = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0], [0.0, 1.0]], dtype=torch.float64)
y = net(x)
y.sum().backward()
bn = net[1]
result = (y, bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.weight.grad, net[0].weight.grad)
""", None),
    ("module_double_python_module_parameters_and_buffers", """
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        self.register_buffer("scale", torch.tensor([0.5, 0.25]))
        self.register_buffer("steps", torch.tensor(3))
        self.fc = torch.nn.Linear(2, 1)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[2.0, -1.0]]))
            self.fc.bias.copy_(torch.tensor([0.5]))

    def forward(self, x):
        return self.fc(x * self.w * self.scale)

net = Net()
before = list(net.parameters())
net.double()
after = list(net.parameters())
x = torch.tensor([[1.0, 3.0]], dtype=torch.float64)
y = net(x)
y.sum().backward()
result = (all(a is b for a, b in zip(before, after)), [p.dtype == torch.float64 for p in after],
          net.scale, net.steps, y, net.w.grad, net.fc.weight.grad)
""", None),
    ("module_to_integer_dtype_error", """
torch.nn.Linear(2, 2).to(torch.int64)
""", "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype="),
]
