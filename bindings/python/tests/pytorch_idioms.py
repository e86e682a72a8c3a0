"""Ordinary PyTorch code, run twice: by tools/gen_pytorch_idioms.py with `torch` bound to
PyTorch (which writes the expected results to Tests/golden/pytorch_idioms.json) and by
test_pytorch_idioms.py with `torch` bound to swiftnn. Only the import changes, which is the
promise to PyTorch users: the same code gives PyTorch's numbers, dtypes and errors.

Each idiom is (name, code, expect_error_phrase). The code sets `result` (a tensor, a Python
scalar, or a tuple/list of them). When the third field is set, PyTorch raises an exception
whose message contains the phrase; SwiftNN must raise the same exception type (or a subclass)
with the same phrase. Idioms never depend on random numbers or parameter initialisation.
"""

IDIOMS = [
    # --- attributes of a Module: an optional submodule set to None first (torchvision's
    # ResNet BasicBlock pattern), a buffer replaced by a new tensor, a module set back to None
    ("module_attribute_none_then_module", """
class Block(torch.nn.Module):
    def __init__(self, down):
        super().__init__()
        self.down = None
        if down:
            self.down = torch.nn.Linear(2, 2)
        self.extra = torch.nn.Linear(1, 1)
        self.register_buffer("count", torch.zeros(1))
    def forward(self, x):
        return x if self.down is None else self.down(x)
b = Block(True)
with torch.no_grad():
    b.down.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    b.down.bias.zero_()
b.count = torch.ones(1)
b.extra = None
keys = sorted(b.state_dict().keys())
result = (b(torch.tensor([[1.0, 1.0]])), len(list(b.parameters())), b.extra is None, "count" in keys,
          float(b.state_dict()["count"][0]), len(keys), Block(False).down is None)
""", None),
    # --- a hand-written training step: in-place updates under no_grad --------------------
    ("manual_sgd", """
w = torch.tensor([[0.5, -0.2], [0.1, 0.3]], requires_grad=True)
x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])
y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
for _ in range(5):
    loss = ((x @ w - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
result = w.detach()
""", None),
    ("sgd_through_data", """
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
(w * w).sum().backward()
w.data -= 0.25 * w.grad
result = (w.detach(), w.requires_grad, w.is_leaf)
""", None),
    ("inplace_visible_through_alias", """
a = torch.tensor([1.0, 2.0, 3.0])
b = a
a += 1
a *= 2
result = b
""", None),
    ("zero_fill_copy", """
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.empty(2, 2)
b.copy_(a)
a.zero_()
c = torch.empty(3).fill_(7)
result = (a, b, c)
""", None),
    ("inplace_chain_returns_self", """
a = torch.tensor([1.0, -2.0, 3.0])
b = a.add_(1).mul_(2).clamp_(min=0.0, max=5.0)
result = (a, b, a is b)
""", None),
    ("add_alpha", """
a = torch.tensor([1.0, 2.0])
a.add_(torch.tensor([10.0, 20.0]), alpha=0.5)
a.sub_(torch.tensor([1.0, 1.0]), alpha=2)
result = a
""", None),

    # --- comparisons, masks and selection ------------------------------------------------
    ("eq_elementwise", """
a = torch.tensor([1.0, 2.0, 3.0])
b = torch.tensor([1.0, 0.0, 3.0])
result = (a == b, a != b, a < b, a <= b, a > b, a >= b)
""", None),
    ("compare_scalar", """
x = torch.tensor([[1.0, 6.0], [7.0, 2.0]])
result = (x > 5, x == 2, 5 < x, (x > 5).sum(), x[x > 5])
""", None),
    ("equal_whole_tensor", """
a = torch.tensor([1.0, 2.0])
result = (torch.equal(a, torch.tensor([1.0, 2.0])), torch.equal(a, torch.tensor([1.0, 3.0])),
          bool((a == a).all()))
""", None),
    ("logic_ops", """
m = torch.tensor([True, False, True, False])
n = torch.tensor([True, True, False, False])
result = (m & n, m | n, ~m, m ^ n, m.any(), m.all(), torch.logical_not(n))
""", None),
    ("mask_assign", """
x = torch.tensor([1.0, -2.0, 3.0, -4.0])
x[x < 0] = 0
result = x
""", None),
    ("mask_select", """
x = torch.tensor([[1.0, -2.0], [-3.0, 4.0]])
result = x[x > 0]
""", None),
    ("where_masked_fill", """
x = torch.tensor([1.0, -2.0, 3.0])
result = (torch.where(x > 0, x, torch.zeros_like(x)), x.masked_fill(x < 0, 9.0))
""", None),
    ("where_grad", """
a = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
b = torch.tensor([10.0, 20.0, 30.0], requires_grad=True)
(torch.where(a > 0, a * 2, b) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
result = (a.grad, b.grad)
""", None),
    ("nan_inf", """
x = torch.tensor([1.0, float('nan'), float('inf'), -float('inf')])
result = (torch.isnan(x), torch.isinf(x), torch.isfinite(x))
""", None),
    ("isclose_allclose", """
a = torch.tensor([1.0, 2.0, 3.0])
b = torch.tensor([1.0 + 1e-7, 2.1, 3.0])
result = (torch.isclose(a, b), torch.allclose(a, b), torch.allclose(a, b, atol=0.2))
""", None),
    ("nonzero", """
x = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
result = (torch.nonzero(x), x.nonzero(as_tuple=True))
""", None),
    ("sort_topk", """
x = torch.tensor([[3.0, 1.0, 2.0], [0.5, 9.0, -1.0]])
v, i = torch.sort(x, dim=1, descending=True)
tv, ti = torch.topk(x, 2, dim=1)
result = (v, i, tv, ti, torch.argsort(x, dim=1))
""", None),
    ("clamp_tensor_bounds", """
x = torch.tensor([-2.0, 0.5, 4.0])
result = torch.clamp(x, min=torch.tensor([-1.0, 1.0, 0.0]), max=torch.tensor([1.0, 2.0, 3.0]))
""", None),
    ("gather_scatter", """
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
idx = torch.tensor([[0, 0], [1, 0]])
g = torch.gather(x, 1, idx)
s = torch.zeros(2, 3).scatter_(1, torch.tensor([[0, 2], [1, 0]]), x)
sa = torch.zeros(3).scatter_add_(0, torch.tensor([0, 1, 0, 2]), torch.tensor([1.0, 2.0, 3.0, 4.0]))
ia = torch.zeros(3, 2).index_add_(0, torch.tensor([0, 2]), x)
result = (g, s, sa, ia)
""", None),
    ("bool_of_one_element", """
x = torch.tensor([3.0])
result = (bool(x > 2), 'yes' if x.sum() > 2 else 'no')
""", None),

    # --- views share storage ---------------------------------------------------------------
    ("row_view_writes_through", """
x = torch.zeros(2, 3)
x[0].add_(1)
x[:, 1] = 5
x[1, 2] = -1
result = x
""", None),
    ("transpose_is_a_view", """
x = torch.arange(6.0).reshape(2, 3)
y = x.t()
y[0, 1] = 100
result = (x, y.is_contiguous(), y.stride(), x.stride(), y.contiguous().is_contiguous())
""", None),
    ("slice_step_view", """
x = torch.arange(10.0)
y = x[1::3]
y.mul_(-1)
result = (x, y.stride(), y.storage_offset())
""", None),
    ("expand_view", """
x = torch.tensor([[1.0], [2.0]])
y = x.expand(2, 3)
result = (y, y.stride())
""", None),
    ("setitem_index_tensor", """
x = torch.zeros(5)
x[torch.tensor([0, 3])] = torch.tensor([1.0, 2.0])
x[1:3] = 7
result = x
""", None),

    # --- autograd rules for in-place ops ---------------------------------------------------
    ("inplace_rebases_history", """
a = torch.tensor([1.0, 2.0], requires_grad=True)
x = a * 3
x.add_(1)
x.mul_(2)
x.sum().backward()
result = (x.detach(), a.grad)
""", None),
    ("grad_fn_present", """
a = torch.tensor([1.0], requires_grad=True)
result = (a.grad_fn is None, (a * 2).grad_fn is not None)
""", None),
    ("saved_tensor_modified", """
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a.sigmoid()
b.mul_(2)
b.sum().backward()
""", "modified by an inplace operation"),
    ("leaf_inplace_error", """
a = torch.ones(3, requires_grad=True)
a.add_(1)
""", "a leaf Variable that requires grad is being used in an in-place operation"),
    ("inplace_broadcast_error", """
torch.zeros(3).add_(torch.ones(2, 3))
""", "doesn't match the broadcast shape"),
    ("mask_wrong_shape", """
x = torch.zeros(3)
x[torch.tensor([True, False])] = 1.0
""", "does not match the shape of the indexed tensor"),
    ("ambiguous_bool", """
bool(torch.tensor([1.0, 2.0]) > 0)
""", "ambiguous"),

    # --- dtypes ----------------------------------------------------------------------------
    ("int_arithmetic", """
a = torch.tensor([7, -7, 2])
result = (a * 2, a + 1, a - a, a // 2, a % 3, a / 2, a * 2.5, -a, a.abs())
""", None),
    ("creation_dtypes", """
result = (torch.arange(5), torch.arange(0.0, 1.0, 0.25), torch.tensor([True, False]),
          torch.tensor([1, 2]), torch.tensor([1.5]), torch.zeros(2, dtype=torch.int32),
          torch.ones(2, dtype=torch.float64), torch.full((2,), 3, dtype=torch.uint8),
          torch.tensor([1, 2], dtype=torch.float32))
""", None),
    ("conversions", """
x = torch.tensor([1.7, -1.7, 0.0])
result = (x.long(), x.int(), x.double(), x.bool(), x.to(torch.float64), x.to('cpu'),
          x.float(), torch.tensor([3, 0]).bool(), torch.tensor([True, False]).float(),
          torch.tensor([200, 100], dtype=torch.uint8) + torch.tensor([100, 1], dtype=torch.uint8))
""", None),
    ("float64_grad", """
x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
y = (x.exp() * x.sin() + x ** 3).sum()
y.backward()
result = (y.detach(), x.grad)
""", None),
    ("float64_matmul", """
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
b = torch.tensor([[0.1], [0.2]], dtype=torch.float64)
result = (a @ b, (a @ b).dtype == torch.float64)
""", None),
    ("sub_bool_error", """
torch.tensor([True]) - torch.tensor([False])
""", "Subtraction, the `-` operator, with two bool tensors is not supported"),

    # --- copies, pickles, numpy ------------------------------------------------------------
    ("copy_shares_deepcopy_copies", """
import copy
t = torch.tensor([1.0, 2.0])
c = copy.copy(t)
d = copy.deepcopy(t)
d += 10
del c
import gc
gc.collect()
result = (t + 1, d)
""", None),
    ("pickle_round_trip", """
import pickle
t = torch.tensor([[1, 2], [3, 4]])
u = pickle.loads(pickle.dumps(t))
result = (u, u.dtype == torch.int64)
""", None),
    ("deepcopy_module", """
import copy
m = torch.nn.Linear(2, 2)
with torch.no_grad():
    m.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    m.bias.fill_(0.5)
m2 = copy.deepcopy(m)
with torch.no_grad():
    m2.weight.add_(1)
x = torch.tensor([[1.0, -1.0]])
result = (m(x).detach(), m2(x).detach())
""", None),
    ("deepcopy_state_dict_restores", """
import copy
m = torch.nn.Linear(2, 1)
with torch.no_grad():
    m.weight.copy_(torch.tensor([[1.0, 2.0]]))
    m.bias.zero_()
best = copy.deepcopy(m.state_dict())
with torch.no_grad():
    m.weight.fill_(0)
m.load_state_dict(best)
result = m.weight.detach()
""", None),
    ("from_numpy_shares", """
a = np.arange(4, dtype=np.float32)
t = torch.from_numpy(a)
a[0] = 10
t[1] = 20
result = (t, float(a[1]), np.shares_memory(t.numpy(), a))
""", None),
    ("from_numpy_keeps_dtype", """
result = tuple(torch.from_numpy(np.array(v, dtype=d)) for v, d in
               [([1.5], np.float64), ([1, 2], np.int32), ([3], np.uint8), ([True], np.bool_), ([4], np.int64)])
""", None),
    ("numpy_shares", """
t = torch.tensor([1.0, 2.0])
n = t.numpy()
t.add_(1)
result = (torch.from_numpy(n.copy()), np.asarray(t).tolist())
""", None),
    ("dlpack_from_numpy", """
a = np.arange(3.0)
t = torch.from_dlpack(a)
a[0] = 5
result = t
""", None),
    ("numpy_requires_grad_error", """
torch.ones(2, requires_grad=True).numpy()
""", "Use tensor.detach().numpy() instead"),
    ("from_numpy_object_error", """
torch.from_numpy(np.array([1, 'a'], dtype=object))
""", "can't convert np.ndarray of type numpy.object_"),
]

# Type promotion over every pair of supported dtypes, and with Python scalars.
DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
VALUES = {"bool": "[True, False]", "uint8": "[3, 250]", "int32": "[-3, 7]", "int64": "[-3, 7]",
          "float32": "[1.5, -2.25]", "float64": "[0.1, 3.0]"}
for _op, _sym in [("add", "+"), ("mul", "*"), ("div", "/")]:
    for _a in DTYPES:
        for _b in DTYPES:
            _err = None
            IDIOMS.append((f"promote_{_op}_{_a}_{_b}",
                           f"result = torch.tensor({VALUES[_a]}, dtype=torch.{_a}) {_sym} torch.tensor({VALUES[_b]}, dtype=torch.{_b})\n",
                           _err))
        for _s in ["2", "2.5", "True"]:
            IDIOMS.append((f"promote_{_op}_{_a}_scalar_{_s}",
                           f"result = torch.tensor({VALUES[_a]}, dtype=torch.{_a}) {_sym} {_s}\n", None))

# The remaining tensor-semantics gaps (issue 16): CopySlices, integer pow, copies of schedulers.
from pytorch_idioms_semantics import IDIOMS as _SEMANTICS  # noqa: E402

IDIOMS += _SEMANTICS

# What a backward formula saves: the version check and edges as PyTorch's (issue 16).
from pytorch_idioms_saved import IDIOMS as _SAVED  # noqa: E402

IDIOMS += _SAVED

# PyTorch's "int to float" unary ops, true division and mean of integers (issue 16).
from pytorch_idioms_int_to_float import IDIOMS as _INT_TO_FLOAT  # noqa: E402

IDIOMS += _INT_TO_FLOAT

# Module.to(dtype), .double(), .float() (issue 16).
from pytorch_idioms_module_dtype import IDIOMS as _MODULE_DTYPE  # noqa: E402

IDIOMS += _MODULE_DTYPE

# Tensor.register_hook and nn.Module's full backward hooks (issue 17).
from pytorch_idioms_hooks import IDIOMS as _HOOKS  # noqa: E402
from pytorch_idioms_volumetric import IDIOMS as _VOLUMETRIC  # noqa: E402

IDIOMS += _HOOKS

# The 3-D layers (pytorch_idioms_volumetric.py).
IDIOMS += _VOLUMETRIC
