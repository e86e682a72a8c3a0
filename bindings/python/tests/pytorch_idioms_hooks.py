"""Gradient hooks as PyTorch code uses them (issue 17): Tensor.register_hook on leaves and
intermediates (observing, replacing, removed), and nn.Module's full backward hooks and
backward pre-hooks on the layers of a Sequential and a convolution (Grad-CAM's pattern: keep a
layer's output gradient). Run by tools/gen_pytorch_idioms.py with PyTorch and by
test_pytorch_idioms.py with swiftnn, like every idiom."""

IDIOMS = [
    ("hook_doubles_leaf_gradient", """
v = torch.tensor([0., 0., 0.], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)
v.backward(torch.tensor([1., 2., 3.]))
first = v.grad.clone()
h.remove()
v.grad = None
v.backward(torch.tensor([1., 2., 3.]))
result = (first, v.grad)
""", None),
    ("hooks_on_an_intermediate_chain", """
x = torch.tensor([1., 2.], requires_grad=True)
y = x * 3
seen = []
y.register_hook(lambda g: seen.append(g.clone()))
y.register_hook(lambda g: g + 1)
y.register_hook(lambda g: seen.append(g.clone()))
y.retain_grad()
(y * y).sum().backward()
result = (seen[0], seen[1], x.grad, y.grad)
""", None),
    ("hook_on_the_backward_root", """
x = torch.tensor([1., -2.], requires_grad=True)
loss = (x * x).sum()
loss.register_hook(lambda g: g * 10)
loss.backward()
result = x.grad
""", None),
    ("hook_needs_requires_grad", """
t = torch.tensor([1., 2.])
t.register_hook(lambda g: g)
result = t
""", "doesn't require gradient"),
    ("module_full_backward_hooks", """
lin = torch.nn.Linear(3, 2)
out = torch.nn.Linear(2, 1)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1., 2., 3.], [4., 5., 6.]]))
    lin.bias.copy_(torch.tensor([0.5, -0.5]))
    out.weight.copy_(torch.tensor([[2., -1.]]))
    out.bias.fill_(0.)
net = torch.nn.Sequential(lin, torch.nn.ReLU(), out)
log = []
def full(m, gi, go):
    log.append([g for g in gi if g is not None] + [g for g in go])
def pre(m, go):
    log.append(list(go))
for m in net:
    m.register_full_backward_hook(full)
    m.register_full_backward_pre_hook(pre)
x = torch.tensor([[1., -1., 2.], [0.5, 0.25, -1.]], requires_grad=True)
net(x).sum().backward()
result = (log, x.grad, lin.weight.grad)
""", None),
    ("module_hook_replaces_grad_input", """
lin = torch.nn.Linear(2, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1., 2.], [3., 4.]]))
    lin.bias.zero_()
act = torch.nn.Tanh()
net = torch.nn.Sequential(lin, act)
h = act.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
x = torch.tensor([[0.1, -0.2]], requires_grad=True)
net(x).sum().backward()
scaled = x.grad.clone()
h.remove()
x.grad = None
net(x).sum().backward()
result = (scaled, x.grad)
""", None),
    ("module_pre_hook_replaces_grad_output", """
lin = torch.nn.Linear(2, 1)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1., -3.]]))
    lin.bias.zero_()
lin.register_full_backward_pre_hook(lambda m, go: (go[0] * -2,))
x = torch.tensor([[1., 2.]], requires_grad=True)
lin(x).sum().backward()
result = (x.grad, lin.weight.grad)
""", None),
    ("grad_cam_keeps_a_conv_layers_gradient", """
conv = torch.nn.Conv2d(1, 2, 2)
with torch.no_grad():
    conv.weight.copy_(torch.tensor([[[[1., 0.], [0., -1.]]], [[[0.5, 0.5], [0.5, 0.5]]]]))
    conv.bias.zero_()
kept = {}
conv.register_full_backward_hook(lambda m, gi, go: kept.update(grad=go[0].clone()))
image = torch.tensor([[[[1., 2., 0.], [0., 1., 3.], [2., 1., 0.]]]])
features = torch.relu(conv(image))
score = (features * torch.tensor([1., -1.]).reshape(1, 2, 1, 1)).sum()
score.backward()
weights = kept["grad"].mean(dim=(2, 3), keepdim=True)
result = (kept["grad"], (weights * features).sum(dim=1))
""", None),
]
