"""Prints PyTorch's messages for the in-place rules SwiftNN copies (run by hand; needs torch).

SwiftNN's tests expect the same text with swiftnn.<Type>Tensor, our node names stripped of
"Backward" (PyTorch 2.13 strips "Backward0" the same way), no trailing anomaly-mode hint, and
the function name in front of the broadcast error. Scenarios match Tests/SwiftNNTests/
InPlaceTests.swift, Tests/c/test_inplace.c and bindings/python/tests/test_inplace.py.
"""
import torch


def show(label, f):
    try:
        f()
        print(f"{label}: no error")
    except RuntimeError as e:
        print(f"{label}: {e}")


def saved_output():
    x = (torch.arange(20.0) - 10).reshape(4, 5).requires_grad_()
    y = torch.relu(x * 1)
    y.add_(1)
    y.sum().backward()


def saved_input():
    x = torch.randn(4, 5, requires_grad=True)
    b = x * 2
    c = b * b
    b.add_(1)
    c.sum().backward()


def saved_constant():
    x = torch.randn(4, 5, requires_grad=True)
    w = torch.randn(4, 5)
    p = x * w
    w.add_(1)
    w.add_(1)
    p.sum().backward()


def leaf():
    torch.randn(4, 5, requires_grad=True).add_(1)


def broadcast():
    torch.zeros(3).add_(torch.zeros(2, 3))


def int_from_float():
    torch.tensor([1, 2]).add_(torch.tensor([0.5, 0.5]))


def rebased():
    a = torch.arange(6.0).reshape(2, 3).requires_grad_()
    x = a * 2
    x.add_(1)
    x.sum().backward()
    print("rebased: a.grad =", a.grad.tolist(), "x.grad_fn =", type(x.grad_fn).__name__)


if __name__ == "__main__":
    print("torch", torch.__version__)
    for name, f in [("saved_output", saved_output), ("saved_input", saved_input), ("saved_constant", saved_constant),
                    ("leaf", leaf), ("broadcast", broadcast), ("int_from_float", int_from_float)]:
        show(name, f)
    rebased()
