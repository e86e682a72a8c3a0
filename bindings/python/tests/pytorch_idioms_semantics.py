"""Idioms for the last tensor-semantics gaps of issue 16 (part of pytorch_idioms.IDIOMS, same
rules): in-place ops on views of tensors that require grad (PyTorch's CopySlices), the view
and leaf errors, integer pow, deep copies and pickles of schedulers and data loaders."""

IDIOMS = [
    # --- CopySlices: a write through a view rebases the base's history ------------------------
    ("copyslices_setitem_and_view_mul", """
w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
y = torch.tensor([3.0, -2.0, 0.5], requires_grad=True)
x = w.clone()
x[0] = y
x[:, 1].mul_(2)
node = x.grad_fn.name()
loss = (x * torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum()
loss.backward()
result = (x.detach(), w.grad, y.grad, node.endswith("CopySlices"))
""", None),
    ("copyslices_view_of_view_relu", """
w = torch.tensor([[-1.0, 2.0, -3.0, 4.0], [5.0, -6.0, 7.0, -8.0]], requires_grad=True)
x = w * 1.5
x[:, ::2].add_(torch.tensor([10.0, 20.0]))
x[1][1:3].relu_()
(x * x).sum().backward()
result = (x.detach(), w.grad)
""", None),
    ("copyslices_view_used_after_write", """
w = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
x = w * 2
v = x[1:3]
v.mul_(torch.tensor([3.0, -1.0]))
(v.sum() + x.pow(2).sum()).backward()
result = (x.detach(), v.detach(), w.grad)
""", None),
    ("copyslices_into_constant_base", """
y = torch.tensor([2.0, 3.0], requires_grad=True)
x = torch.zeros(2, 3)
x[:, 0] = y * y
x[1, 1:] = y
(x * torch.arange(6.0).reshape(2, 3)).sum().backward()
result = (x.detach(), y.grad, x.requires_grad)
""", None),
    ("copyslices_float64", """
w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
x = w * 3.0
x[0, 1] = w[1, 0].exp() * 10
x.pow(2).sum().backward()
result = (x.detach(), w.grad)
""", None),
    ("view_of_leaf_inplace_error", """
w = torch.ones(2, 3, requires_grad=True)
w[0].mul_(2)
""", "a view of a leaf Variable that requires grad is being used in an in-place operation"),
    ("view_of_leaf_setitem_error", """
w = torch.ones(3, requires_grad=True)
w[1] = 5.0
""", "a view of a leaf Variable that requires grad is being used in an in-place operation"),
    ("view_inplace_under_no_grad_allowed", """
w = torch.ones(3, requires_grad=True)
with torch.no_grad():
    w[1] = 5.0
    w[2:].mul_(3)
result = (w.detach(), w.requires_grad, w.is_leaf)
""", None),
    # PyTorch's version counter is shared by a base and its views: a saved view written later fails.
    ("copyslices_saved_output_then_written", """
w = torch.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
x = w * 1.0
x[0].exp_()
x[1].mul_(2)
x.sum().backward()
""", "modified by an inplace operation"),
    ("expanded_inplace_error", """
x = torch.zeros(1, 3).expand(2, 3)
x.add_(1)
""", "more than one element of the written-to tensor refers to a single memory location"),

    # --- integer pow ---------------------------------------------------------------------------
    ("int_pow_scalar", """
a = torch.tensor([2, 3, -1, 1, 0])
result = (a ** 2, a.pow(3), a ** 0, 2 ** a.abs(), (-2) ** a.abs())
""", None),
    ("int_pow_float_exponent_is_float", """
a = torch.tensor([2, 3, 4])
result = (a ** 2.5, a ** 0.5, a.pow(1.0))
""", None),
    ("int_pow_tensor_exponent_negative", """
a = torch.tensor([2, 3, -1, 1, -1, 0])
result = a ** torch.tensor([2, -1, -1, -2, -3, 3])
""", None),
    ("int_pow_wraps", """
result = (torch.tensor([3, 5]) ** 40, torch.tensor([200], dtype=torch.uint8) ** 2,
          torch.tensor([7], dtype=torch.int32) ** 13)
""", None),
    ("int_pow_dtypes", """
result = (torch.tensor([2, 3], dtype=torch.int32) ** 2, torch.tensor([True, False]) ** 2,
          torch.tensor([2, 3]) ** torch.tensor(2), torch.tensor([2, 3], dtype=torch.uint8) ** torch.tensor([3, 1]))
""", None),
    ("int_pow_inplace", """
a = torch.tensor([2, -3, 4])
a.pow_(3)
result = a
""", None),
    ("int_pow_negative_scalar_error", """
torch.tensor([2, 3]) ** -1
""", "Integers to negative integer powers are not allowed"),
    ("bool_pow_bool_error", """
torch.tensor([True, False]) ** torch.tensor([True, True])
""", "not implemented for 'Bool'"),

    # --- deep copies and pickles of schedulers and loaders ---------------------------------------
    ("deepcopy_scheduler_continues", """
import copy
p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
opt = torch.optim.SGD([p], lr=1.0, momentum=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
for _ in range(3):
    opt.step()
    sched.step()
twin = copy.deepcopy(sched)
twin.optimizer.step()
twin.step()
sched.optimizer.step()
sched.step()
result = (twin.last_epoch, twin.get_last_lr(), sched.get_last_lr(), twin.optimizer is not opt,
          twin.optimizer.param_groups[0]['lr'], opt.param_groups[0]['lr'])
""", None),
    ("pickle_scheduler_round_trip", """
import pickle
p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
opt = torch.optim.SGD([p], lr=0.3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
for _ in range(4):
    opt.step()
    sched.step()
back = pickle.loads(pickle.dumps(sched))
back.step()
sched.step()
result = (back.last_epoch, back.get_last_lr(), sched.get_last_lr())
""", None),
    ("deepcopy_dataloader", """
import copy
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
ds = TensorDataset(torch.arange(10.0).reshape(5, 2), torch.arange(5))
loader = DataLoader(ds, batch_size=2)
twin = copy.deepcopy(loader)
result = ([b[0] for b in twin], [b[1] for b in twin], twin.batch_size, len(twin))
""", None),
    ("pickle_dataloader", """
import pickle
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
loader = DataLoader(TensorDataset(torch.arange(6.0)), batch_size=4, drop_last=True)
back = pickle.loads(pickle.dumps(loader))
result = ([b[0] for b in back], back.drop_last, len(back))
""", None),
]
