"""The in-place selection ops (masked_fill_, scatter_, scatter_add_, index_add_) built on the
out-of-place ops the golden area "compare" checks: they write into self and return it, bump
the version, and follow the in-place rules."""
import pytest

import swiftnn


def test_write_into_self_and_return_it():
    x = swiftnn.zeros(2, 3)
    assert x.masked_fill_(swiftnn.tensor([[True, False, True], [False, False, True]]), 2.0) is x
    assert x.tolist() == [[2, 0, 2], [0, 0, 2]]
    v = x._version
    x.scatter_(1, swiftnn.tensor([[1], [0]]), 7.0)
    assert x.tolist() == [[2, 7, 2], [7, 0, 2]] and x._version == v + 1
    x.scatter_add_(0, swiftnn.tensor([[1, 1, 1]]), swiftnn.ones(1, 3))
    x.index_add_(1, swiftnn.tensor([0]), swiftnn.ones(2, 1), alpha=10)
    assert x.tolist() == [[12, 7, 2], [18, 1, 3]]
    row = x[0]
    row.scatter_(0, swiftnn.tensor([2]), swiftnn.tensor([-1.0]))  # through a view
    assert x.tolist()[0] == [12, 7, -1]


def test_rules():
    w = swiftnn.ones(3, requires_grad=True)
    with pytest.raises(swiftnn.AutogradError, match="a leaf Variable that requires grad"):
        w.masked_fill_(swiftnn.tensor([True, False, False]), 0.0)
    a = swiftnn.ones(3, requires_grad=True)
    y = a * 2
    y.index_add_(0, swiftnn.tensor([0, 0]), swiftnn.tensor([1.0, 1.0]))
    y.sum().backward()
    assert a.grad.tolist() == [2, 2, 2]
    with pytest.raises(swiftnn.ShapeError, match="mask"):
        swiftnn.zeros(3).masked_fill_(swiftnn.tensor([True, False]), 1.0)
