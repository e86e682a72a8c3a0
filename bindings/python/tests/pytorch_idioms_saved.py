"""Idioms for what a backward formula saves (part of pytorch_idioms.IDIOMS, same rules): as in
PyTorch, only the tensors a node's formula reads are checked by the version counter, and a
node sends gradients to its inputs' histories as they were when it ran, so writing a tensor
that an earlier op used but did not save is allowed and gives PyTorch's gradients."""

IDIOMS = [
    ("saved_add_input_written_later_ok", """
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
x = w * 2
y = x + 1
x.add_(1)
y.sum().backward()
result = (w.grad, x.detach(), y.detach())
""", None),
    ("saved_add_leafless_input_written_later_ok", """
w = torch.tensor([1.0, -2.0], requires_grad=True)
c = torch.tensor([5.0, 6.0])
y = w + c
c.mul_(10)
y.sum().backward()
result = (w.grad, y.detach())
""", None),
    ("saved_mul_input_written_later_error", """
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
x = torch.tensor([4.0, 5.0, 6.0])
y = x * w
x.add_(1)
y.sum().backward()
""", "FloatTensor [3]] is at version 1; expected version 0 instead."),
    ("saved_mul_nonleaf_input_names_its_producer", """
w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
b = w * 2
c = b * w
b.sub_(1)
c.sum().backward()
""", ", which is output 0 of Sub, is at version 1; expected version 0 instead."),
    # mul saves an operand only for the other's gradient: a constant factor needs no saving.
    ("saved_mul_operand_of_constant_written_later_ok", """
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
x = w * 3
s = x * torch.tensor([1.0, -1.0, 2.0])
x.add_(5)
s.sum().backward()
result = (w.grad, x.detach(), s.detach())
""", None),
    ("saved_exp_output_written_later_error", """
w = torch.tensor([0.5, -1.0], requires_grad=True)
y = (w * 1).exp()
y.mul_(2)
y.sum().backward()
""", ", which is output 0 of Exp, is at version 1; expected version 0 instead."),
    ("saved_div_divisor_written_later_error", """
w = torch.tensor([1.0, 2.0], requires_grad=True)
d = torch.tensor([4.0, 8.0])
y = w / d
d.add_(1)
y.sum().backward()
""", "is at version 1; expected version 0 instead."),
    ("saved_div_dividend_written_later_ok", """
w = torch.tensor([1.0, 2.0], requires_grad=True)
n = torch.tensor([4.0, 8.0])
y = n / (w * 1)
x = w * 1
y2 = x / 2
x.add_(1)
(y.sum() + y2.sum()).backward()
result = (w.grad, y2.detach())
""", None),
    ("saved_view_input_written_later_ok", """
w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
x = w * 3
y = x[0] + x.t().sum(0)
x.mul_(2)
y.sum().backward()
result = (w.grad, x.detach())
""", None),
    # The write reroutes no earlier consumer: y used x before x.mul_(3), (x * x) after it.
    ("saved_mul_inplace_after_use_gradients", """
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
x = w * 2
y = x + 1
x.mul_(3)
(y.sum() + (x * x).sum()).backward()
result = (w.grad, y.detach(), x.detach())
""", None),
    ("saved_sum_and_reshape_inputs_written_later_ok", """
w = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
x = w * 1
s = x.sum() + x.reshape(2, 2).mean() + x.unsqueeze(0).transpose(0, 1).sum()
x.zero_()
s.backward()
result = (w.grad, s.detach())
""", None),
    ("saved_relu_output_then_written_error", """
w = torch.tensor([-1.0, 2.0], requires_grad=True)
y = torch.relu(w * 1)
z = y + 0
y.add_(1)
z.sum().backward()
""", ", which is output 0 of Relu, is at version 1; expected version 0 instead."),
]
