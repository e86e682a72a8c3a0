"""nn.Identity, Softmax, LogSoftmax, Softmin and Unflatten: PyTorch's constructors, reprs and
semantics, checked against numpy in float64 (an independent reference) and against the
functional ops they wrap."""
import numpy as np
import pytest

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F


def _softmax64(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_identity_returns_its_input_and_ignores_arguments():
    m = nn.Identity(54, unused_argument="x")
    x = swiftnn.randn(3, 4)
    assert m(x) is x
    assert repr(m) == "Identity()" and dict(m.state_dict()) == {}
    # transfer learning's idiom: replace a head, the rest of the network unchanged
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    net[2] = nn.Identity() if hasattr(net, "__setitem__") else net[2]
    y = nn.Sequential(nn.Linear(4, 5), nn.Identity())(x)
    assert y.shape == (3, 5)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_against_numpy(dim):
    a = np.random.default_rng(dim + 5).standard_normal((3, 4, 5)).astype(np.float32)
    x = swiftnn.from_numpy(a)
    want = _softmax64(a.astype(np.float64), dim)
    np.testing.assert_allclose(nn.Softmax(dim=dim)(x).numpy(), want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(nn.LogSoftmax(dim=dim)(x).numpy(), np.log(want), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.Softmin(dim=dim)(x).numpy(), _softmax64(-a.astype(np.float64), dim), rtol=1e-5, atol=1e-7)
    # the same bits as the functional ops they wrap
    assert np.array_equal(nn.Softmax(dim)(x).numpy(), F.softmax(x, dim).numpy())
    assert np.array_equal(nn.LogSoftmax(dim)(x).numpy(), F.log_softmax(x, dim).numpy())


def test_softmax_gradient_flows_and_reprs_match_torch():
    x = swiftnn.randn(2, 3, requires_grad=True)
    y = nn.Sequential(nn.Linear(3, 3), nn.Softmax(dim=1))(x)
    (y[:, 0].sum()).backward()
    assert x.grad is not None and x.grad.shape == (2, 3)
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"
    assert repr(nn.Softmin(dim=0)) == "Softmin(dim=0)"


def test_softmax_without_dim_warns_as_pytorch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(swiftnn.zeros(2, 4))
    assert np.allclose(y.numpy(), 0.25)


def test_unflatten_inverts_flatten():
    x = swiftnn.randn(4, 6, 5)
    m = nn.Unflatten(1, (2, 3))
    y = m(x)
    assert y.shape == (4, 2, 3, 5)
    assert np.array_equal(nn.Flatten(1, 2)(y).numpy(), x.numpy())
    assert nn.Unflatten(-1, (5, -1))(x).shape == (4, 6, 5, 1)
    assert nn.Unflatten(0, [2, 2])(x).shape == (2, 2, 6, 5)
    assert repr(m) == "Unflatten(dim=1, unflattened_size=(2, 3))"


def test_unflatten_errors_name_the_problem():
    with pytest.raises(IndexError, match="dim 3 is out of range for a 3-dimensional input"):
        nn.Unflatten(3, (2, 3))(swiftnn.zeros(4, 6, 5))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 6)
    with pytest.raises(Exception, match="6|shape"):
        nn.Unflatten(1, (4, 4))(swiftnn.zeros(4, 6))


def test_replacing_a_layer_of_a_sequential_runs_the_new_layer():
    """Transfer learning's idioms: seq[i] = ..., seq.name = ..., a nested head replaced, del seq[i].
    The engine Sequential (one C call per forward) must run the new layers, not the old."""
    from collections import OrderedDict
    x = swiftnn.randn(2, 3)
    s = nn.Sequential(OrderedDict([("body", nn.Linear(3, 4)), ("act", nn.ReLU()), ("fc", nn.Linear(4, 2))]))
    assert s(x).shape == (2, 2)
    s.fc = nn.Linear(4, 7)
    assert s(x).shape == (2, 7)
    s[2] = nn.Identity()  # a Python module: the layers now run one by one from Python
    assert s(x).shape == (2, 4)
    s[-1] = nn.Linear(4, 5)
    assert s(x).shape == (2, 5)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Dropout(0.0), nn.Linear(4, 2)))
    assert net(x).shape == (2, 2)
    net[2][1] = nn.Linear(4, 9)  # only the inner Sequential is told: the outer notices at its next call
    assert net(x).shape == (2, 9)
    del net[1]
    assert list(net._modules) == ["0", "1"] and net(x).shape == (2, 9)
    with pytest.raises(IndexError, match="index 5 is out of range for 2 layers"):
        net[5] = nn.ReLU()


def test_a_rebuilt_sequential_keeps_eval_mode():
    """A replaced layer must not put the rebuilt engine back into training mode: batch norm
    would then normalise by the batch's statistics instead of the running ones."""
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    x = swiftnn.randn(2, 3, 8, 8)
    net.eval()
    net[4] = nn.Linear(4 * 6 * 6, 3)
    with swiftnn.no_grad():
        a = net(x)
        b = nn.Sequential(*[net[i] for i in range(5)]).eval()(x)
    assert np.array_equal(a.numpy(), b.numpy())
    first = net(x[:1]).detach().numpy()
    assert np.allclose(net(x).detach().numpy()[:1], first, atol=1e-6)  # running statistics: per-sample results


def test_replacing_a_built_in_layers_parameter_is_refused_with_the_fix():
    """PyTorch code assigns new Parameters (custom init, weight tying). A built-in layer computes
    with its own engine tensors, so the assignment would silently change nothing: refused, and
    the message gives the in-place copy that works."""
    lin = nn.Linear(3, 2)
    x = swiftnn.ones(1, 3)
    with pytest.raises(AttributeError, match=r"Linear.weight: a built-in layer's parameter cannot be replaced.*copy_"):
        lin.weight = nn.Parameter(swiftnn.zeros(2, 3))
    with pytest.raises(AttributeError, match="BatchNorm2d.running_mean: a built-in layer's buffer"):
        nn.BatchNorm2d(4).running_mean = swiftnn.zeros(4)
    lin.weight = lin.weight  # the same tensor: allowed, nothing changes
    with swiftnn.no_grad():
        lin.weight.copy_(swiftnn.zeros(2, 3))
        lin.bias.copy_(swiftnn.full((2,), 0.5))
    assert lin(x).tolist() == [[0.5, 0.5]]
