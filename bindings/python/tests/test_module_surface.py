"""The nn.Module surface beyond parameters: nn.init (PyTorch's fan and gain rules, checked on
the drawn values' bounds and spread), apply / named_modules / children, forward and
forward-pre hooks with removable handles, ModuleDict / ParameterList / ParameterDict, and
load_state_dict errors naming every mismatched key with both shapes."""
import math

import numpy as np
import pytest

import swiftnn
from swiftnn import nn
from swiftnn.nn import init


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.second = nn.Linear(3, 2)

    def forward(self, x):
        return self.second(self.act(self.first(x)))


def test_calculate_gain_and_fans():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    # [out, in, kh, kw]: fan_in = in * kh * kw, fan_out = out * kh * kw.
    assert init._calculate_fan_in_and_fan_out(swiftnn.zeros(16, 3, 5, 5)) == (75, 400)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(swiftnn.zeros(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(swiftnn.zeros(3, 4), mode="fan_avg")


def spread(t):
    v = t.detach().numpy()
    return float(np.abs(v).max()), float(v.std()), float(v.mean())


def test_random_initialisers_follow_pytorch_formulas():
    swiftnn.manual_seed(0)
    w = swiftnn.zeros(256, 128, 3)  # fan_in 384, fan_out 768
    bound = math.sqrt(2) * math.sqrt(3 / 384)
    m, s, _ = spread(init.kaiming_uniform_(w, nonlinearity="relu"))
    assert bound * 0.98 < m <= bound and s == pytest.approx(bound / math.sqrt(3), rel=0.02)
    _, s, mu = spread(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"))
    assert s == pytest.approx(math.sqrt(2) / math.sqrt(768), rel=0.02) and abs(mu) < 0.01
    a = math.sqrt(6 / (384 + 768)) * 2.0
    m, s, _ = spread(init.xavier_uniform_(w, gain=2.0))
    assert a * 0.98 < m <= a and s == pytest.approx(a / math.sqrt(3), rel=0.02)
    _, s, _ = spread(init.xavier_normal_(w))
    assert s == pytest.approx(math.sqrt(2 / (384 + 768)), rel=0.02)
    v = init.uniform_(swiftnn.zeros(10000), -2, 3).numpy()
    assert v.min() >= -2 and v.max() <= 3 and v.mean() == pytest.approx(0.5, abs=0.05)
    v = init.normal_(swiftnn.zeros(10000), 1.5, 0.5).numpy()
    assert v.mean() == pytest.approx(1.5, abs=0.02) and v.std() == pytest.approx(0.5, rel=0.03)
    v = init.trunc_normal_(swiftnn.zeros(10000), 0.0, 1.0, -0.5, 1.0).numpy()
    assert v.min() >= -0.5 and v.max() <= 1.0 and v.min() < -0.49 and v.max() > 0.99
    # Truncated N(0, 1) on [-0.5, 1]: mean (phi(-0.5) - phi(1)) / (Phi(1) - Phi(-0.5)) = 0.2066.
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    assert v.mean() == pytest.approx((phi(-0.5) - phi(1)) / (Phi(1) - Phi(-0.5)), abs=0.015)


def test_deterministic_initialisers_and_orthogonal():
    t = swiftnn.zeros(3, 5, requires_grad=True)
    assert init.constant_(t, 0.25).detach().numpy().tolist() == [[0.25] * 5] * 3
    assert t.requires_grad and t.grad_fn is None  # filled outside the graph, still a leaf
    np.testing.assert_array_equal(init.ones_(swiftnn.zeros(2, 2)).numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(init.zeros_(swiftnn.ones(2, 2)).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(init.eye_(swiftnn.zeros(3, 5)).numpy(), np.eye(3, 5))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(swiftnn.zeros(2, 2, 2))
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = init.orthogonal_(swiftnn.zeros(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        small = min(q.shape)
        gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_apply_named_modules_children():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Net"]  # children first, as PyTorch
    assert [n for n, _ in net.named_modules()] == ["", "first", "act", "second"]
    assert [n for n, _ in net.named_children()] == ["first", "act", "second"]
    assert len(list(net.children())) == 3 and len(list(net.modules())) == 4
    outer = nn.Module()
    outer.a = net.first
    outer.b = net.first
    assert [n for n, _ in outer.named_modules()] == ["", "a"]
    assert [n for n, _ in outer.named_modules(remove_duplicate=False)] == ["", "a", "b"]
    assert sorted(outer.state_dict()) == ["a.bias", "a.weight", "b.bias", "b.weight"]  # as PyTorch

    def reinit(m):
        if isinstance(m, nn.Linear):
            init.zeros_(m.weight)
    net.apply(reinit)
    assert all(not p.detach().numpy().any() for n, p in net.named_parameters() if n.endswith("weight"))
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hooks_and_handles():
    net = Net()
    x = swiftnn.randn(2, 4)
    calls = []
    h1 = net.first.register_forward_pre_hook(lambda m, args: calls.append(("pre", args[0].shape)))
    h2 = net.first.register_forward_hook(lambda m, args, out: calls.append(("post", out.shape)))
    base = net(x).detach().numpy()
    assert calls == [("pre", (2, 4)), ("post", (2, 3))]
    # A pre-hook may replace the input, a forward hook the output.
    h3 = net.second.register_forward_hook(lambda m, args, out: out * 0)
    h4 = net.first.register_forward_pre_hook(lambda m, args: args[0] * 2, prepend=True)
    assert not net(x).detach().numpy().any()
    h3.remove()
    doubled = net(x).detach().numpy()
    h4.remove()
    np.testing.assert_allclose(net(x).detach().numpy(), base, rtol=1e-6)
    assert not np.allclose(doubled, base)
    for h in (h1, h2):
        h.remove()
        h.remove()  # twice is harmless
    calls.clear()
    net(x)
    assert calls == []
    with net.first.register_forward_hook(lambda m, a, o: calls.append(1)):
        net(x)
    net(x)
    assert calls == [1]  # the handle as a context manager removes the hook on exit
    kw = net.first.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True)
    with_one = net(x).detach().numpy()
    kw.remove()
    np.testing.assert_allclose(with_one, net(x + 1).detach().numpy(), rtol=1e-6)


def test_module_and_parameter_containers():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
    heads["extra"] = nn.ReLU()
    assert list(heads.keys()) == ["cls", "box", "extra"] and "box" in heads and len(heads) == 3
    assert sorted(heads.state_dict()) == ["box.bias", "box.weight", "cls.bias", "cls.weight"]
    heads.pop("extra")
    with pytest.raises(KeyError, match='contain "."'):
        heads["a.b"] = nn.ReLU()
    scales = nn.ParameterList([swiftnn.ones(2), nn.Parameter(swiftnn.zeros(3))])
    scales.append(swiftnn.full((1,), 2.0))
    assert [n for n, _ in scales.named_parameters()] == ["0", "1", "2"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in scales)
    assert scales[-1].detach().numpy().tolist() == [2.0]
    pd = nn.ParameterDict({"alpha": swiftnn.ones(1)})
    pd["beta"] = nn.Parameter(swiftnn.zeros(2))
    assert list(pd.keys()) == ["alpha", "beta"] and sorted(pd.state_dict()) == ["alpha", "beta"]
    holder = nn.Module()
    holder.heads, holder.scales, holder.pd = heads, scales, pd
    names = sorted(n for n, _ in holder.named_parameters())
    assert names == ["heads.box.bias", "heads.box.weight", "heads.cls.bias", "heads.cls.weight", "pd.alpha", "pd.beta",
                     "scales.0", "scales.1", "scales.2"]
    opt = swiftnn.optim.SGD(holder.parameters(), lr=0.1)
    out = heads["cls"](swiftnn.randn(2, 4)).sum() + (scales[0] * pd["alpha"]).sum()
    out.backward()
    opt.step()
    assert pd["alpha"].detach().numpy().tolist() == [pytest.approx(1 - 0.1 * 2)]


def test_load_state_dict_names_every_problem():
    a, b = Net(), Net()
    bad = dict(b.state_dict())
    bad["first.weight"] = swiftnn.zeros(5, 4)
    bad["second.bias"] = swiftnn.zeros(7)
    del bad["first.bias"]
    bad["extra.weight"] = swiftnn.zeros(1)
    before = a.second.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError) as e:
        a.load_state_dict(bad)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "first.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    assert ("size mismatch for first.weight: copying a param with shape swiftnn.Size([5, 4]) from checkpoint, "
            "the shape in current model is swiftnn.Size([3, 4]).") in msg
    assert "size mismatch for second.bias: copying a param with shape swiftnn.Size([7])" in msg and "current model is swiftnn.Size([2])" in msg
    np.testing.assert_array_equal(a.second.weight.detach().numpy(), before)  # nothing half-loaded
    del bad["first.weight"], bad["second.bias"]
    result = a.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["first.weight", "first.bias", "second.bias"] and result.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(a.second.weight.detach().numpy(), b.second.weight.detach().numpy())
