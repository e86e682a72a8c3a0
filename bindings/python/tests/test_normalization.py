"""nn.LayerNorm and nn.GroupNorm as modules (their ops are checked against PyTorch by the golden
area "norm"): PyTorch's parameter names and init, errors, and save/load with the architecture."""
import numpy as np
import pytest

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F


def test_parameters_init_and_forward():
    ln = nn.LayerNorm([2, 3])
    assert sorted(n for n, _ in ln.named_parameters()) == ["bias", "weight"]
    assert ln.weight.tolist() == [[1.0] * 3] * 2 and ln.bias.tolist() == [[0.0] * 3] * 2
    assert ln.normalized_shape == (2, 3) and ln.eps == 1e-5
    x = swiftnn.randn(4, 2, 3)
    y = ln(x).numpy().reshape(4, -1)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-3)
    assert list(dict(nn.LayerNorm(5, bias=False).named_parameters())) == ["weight"]
    assert list(nn.LayerNorm(5, elementwise_affine=False).parameters()) == []
    gn = nn.GroupNorm(2, 4, affine=False)
    assert list(gn.parameters()) == [] and gn(swiftnn.randn(3, 4, 5)).shape == (3, 4, 5)


def test_errors_name_the_problem():
    with pytest.raises(swiftnn.ShapeError, match=r"does not end with normalized_shape \[4\]"):
        nn.LayerNorm(4)(swiftnn.zeros(2, 3))
    with pytest.raises(swiftnn.InvalidArgumentError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(swiftnn.InvalidArgumentError, match="divisible by num_groups"):
        F.group_norm(swiftnn.zeros(2, 4, 3), 3)
    with pytest.raises(swiftnn.ShapeError, match=r"expected input \[N, 4, \*\]"):
        nn.GroupNorm(2, 4)(swiftnn.zeros(2, 6, 3))


def test_save_and_load_rebuild_the_layers(tmp_path):
    m = nn.Sequential(nn.Linear(3, 6), nn.LayerNorm(6, eps=1e-3), nn.GroupNorm(3, 6))
    m.load_state_dict({k: swiftnn.randn(*v.shape) for k, v in m.state_dict().items()})
    path = str(tmp_path / "m.safetensors")
    nn.save_model(m, path)
    back = nn.load_model(path)
    x = swiftnn.randn(5, 6)
    x3 = swiftnn.randn(5, 3)
    assert np.array_equal(m(x3).detach().numpy(), back(x3).detach().numpy())
    assert back[1].eps == 1e-3 and back[2].num_groups == 3
    del x
