"""Idioms for PyTorch's "int to float" rule (part of pytorch_idioms.IDIOMS, same rules): exp,
log, sqrt, the trigonometric and hyperbolic functions, erf, tanh, sigmoid and reciprocal of an
integer or bool tensor are float32; true division of integers is float32; mean of an integer
tensor is PyTorch's error."""

_OPS = ["exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
        "asinh", "acosh", "atanh", "erf", "tanh", "sigmoid", "reciprocal"]
_INPUTS = {"int64": "torch.tensor([0, 1, 2, -3])", "int32": "torch.tensor([1, 4, -2], dtype=torch.int32)",
           "uint8": "torch.tensor([0, 3, 250], dtype=torch.uint8)", "bool": "torch.tensor([True, False])"}

IDIOMS = []
for _op in _OPS:
    for _dt, _src in _INPUTS.items():
        IDIOMS.append((f"int_to_float_{_op}_{_dt}", f"result = (torch.{_op}({_src}), {_src}.{_op}())\n", None))

IDIOMS += [
    ("int_to_float_true_division", """
a = torch.tensor([1, 2, 7])
result = (a / 2, a / a, torch.tensor([True, False]) / torch.tensor([2, 4]), torch.div(a, torch.tensor([2, 4, 8])),
          torch.tensor([3, 9], dtype=torch.uint8) / torch.tensor([2], dtype=torch.int32))
""", None),
    ("int_to_float_chain_keeps_float32", """
a = torch.arange(4)
result = (a.sqrt() * 2, torch.exp(a).sum(), a.float().mean(), (a / 4).dtype == torch.float32)
""", None),
    ("int_mean_error", """
torch.tensor([1, 2, 3]).mean()
""", "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"),
    ("bool_mean_error", """
torch.tensor([True, False]).mean()
""", "could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Bool"),
]
