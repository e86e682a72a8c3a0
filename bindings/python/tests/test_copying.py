"""copy.copy, copy.deepcopy and pickle of tensors, parameters, modules, state dicts and
optimizers, with PyTorch's semantics: a shallow copy shares, a deep copy and a pickle are
independent, and freeing one Python object never frees what another holds (live handles
return to where they started)."""
import copy
import gc
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import swiftnn
from swiftnn import nn, optim


@pytest.fixture
def handles():
    """Asserts that the test leaves no handle alive."""
    gc.collect()
    before = swiftnn.live_handles()
    yield
    gc.collect()
    assert swiftnn.live_handles() == before


def values(t):
    return t.detach().numpy().copy()


# ---- tensors ---------------------------------------------------------------------------------

def test_copy_shares_and_each_object_frees_its_own_handle(handles):
    t = swiftnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = copy.copy(t)
    assert c is not t and c.requires_grad
    del t
    gc.collect()
    np.testing.assert_array_equal(values(c), [1, 2, 3])  # the original's death freed only its handle
    with swiftnn.no_grad():
        c.detach().numpy()[0] = 7.0
    d = copy.copy(c)
    assert values(d)[0] == 7.0


def test_deepcopy_copies_data_requires_grad_and_grad():
    t = swiftnn.tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()  # grad = 2 t
    d = copy.deepcopy(t)
    assert d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(values(d.grad), [2.0, 4.0])
    t.detach().numpy()[:] = [5.0, 6.0]  # write through the original's memory
    t.grad = swiftnn.tensor([0.0, 0.0])
    np.testing.assert_array_equal(values(d), [1.0, 2.0])
    np.testing.assert_array_equal(values(d.grad), [2.0, 4.0])
    plain = copy.deepcopy(swiftnn.tensor([3, 4]))
    assert plain.dtype is swiftnn.int64 and not plain.requires_grad and plain.grad is None


def test_deepcopy_of_a_non_leaf_raises_as_pytorch():
    x = swiftnn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_deepcopy_keeps_shared_references_shared():
    t = swiftnn.tensor([1.0])
    a, b = copy.deepcopy([t, t])
    assert a is b and a is not t


@pytest.mark.parametrize("data,dtype", [
    ([[1.5, -2.0], [0.25, 3.0]], np.float32), ([1e-300, -2.5], np.float64), ([2**40, -3], np.int64),
    ([7, -8], np.int32), ([0, 255], np.uint8), ([True, False, True], np.bool_), (2.5, np.float32),
    (np.zeros((0, 3)), np.float32)])
def test_pickle_round_trips_every_dtype_by_value(data, dtype, handles):
    a = np.array(data, dtype=dtype)
    t = swiftnn.from_numpy(a)
    u = pickle.loads(pickle.dumps(t))
    assert u.dtype is t.dtype and tuple(u.shape) == a.shape
    np.testing.assert_array_equal(u.numpy(), a)
    assert not np.shares_memory(u.numpy(), a)


def test_pickle_keeps_requires_grad_not_grad_and_parameters_stay_parameters():
    p = nn.Parameter(swiftnn.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, nn.Parameter) and q.requires_grad and q.grad is None  # as torch
    np.testing.assert_array_equal(values(q), [1.0, 2.0])
    frozen = pickle.loads(pickle.dumps(nn.Parameter(swiftnn.tensor([1.0]), requires_grad=False)))
    assert not frozen.requires_grad
    y = pickle.loads(pickle.dumps(p * 3))  # a non-leaf arrives as a leaf that requires grad
    assert y.is_leaf and y.requires_grad
    np.testing.assert_array_equal(values(y), [3.0, 6.0])


# ---- modules and state dicts -----------------------------------------------------------------

def mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_deepcopy_of_a_model_is_independent(handles):
    m = mlp()
    x = swiftnn.tensor([[0.5, -1.0, 2.0]])
    y = values(m(x))
    m2 = copy.deepcopy(m)
    np.testing.assert_array_equal(values(m2(x)), y)
    assert m2[0].weight is not m[0].weight
    with swiftnn.no_grad():
        m.load_state_dict({k: np.zeros(tuple(v.shape), np.float32) for k, v in m.state_dict().items()})
    np.testing.assert_array_equal(values(m(x)), [[0.0, 0.0]])
    np.testing.assert_array_equal(values(m2(x)), y)
    del m, x
    gc.collect()
    np.testing.assert_array_equal(values(m2(swiftnn.tensor([[0.5, -1.0, 2.0]]))), y)  # m2 owns its own engine


def test_deepcopy_keeps_flags_mode_grads_and_ties():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.bn = nn.BatchNorm1d(2)
            self.scale = nn.Parameter(swiftnn.tensor([2.0]))
            self.tied = self.fc.weight  # the same Parameter twice
            self.note = {"epochs": 3}

        def forward(self, x):
            return self.bn(self.fc(x)) * self.scale

    m = Net()
    m.fc.bias.requires_grad_(False)
    x = swiftnn.tensor([[1.0, 2.0], [3.0, -1.0]])
    m(x).sum().backward()
    m.eval()
    m2 = copy.deepcopy(m)
    assert not m2.training and not m2.fc.training and not m2.bn.training
    assert m2.fc.weight.requires_grad and not m2.fc.bias.requires_grad
    assert m2.tied is m2.fc.weight and m2.tied is not m.fc.weight
    assert m2.note == {"epochs": 3} and m2.note is not m.note
    np.testing.assert_array_equal(values(m2.fc.weight.grad), values(m.fc.weight.grad))
    np.testing.assert_array_equal(values(m2.scale.grad), values(m.scale.grad))
    np.testing.assert_array_equal(values(m2(x)), values(m(x)))
    assert [k for k in m2.state_dict()] == [k for k in m.state_dict()]


def test_pickle_of_models_round_trips():
    m = mlp()
    m[2].weight.requires_grad_(False)
    m.eval()
    x = swiftnn.tensor([[0.5, -1.0, 2.0]])
    m2 = pickle.loads(pickle.dumps(m))
    assert isinstance(m2, nn.Sequential) and not m2.training
    assert not m2[2].weight.requires_grad and m2[0].weight.requires_grad
    np.testing.assert_array_equal(values(m2(x)), values(m(x)))
    single = pickle.loads(pickle.dumps(nn.Conv2d(2, 3, 3, padding=1)))
    assert isinstance(single, nn.Conv2d) and single.padding == (1, 1)


def test_state_dict_deepcopy_and_pickle_are_independent(handles):
    m = mlp()
    sd = m.state_dict()
    d = copy.deepcopy(sd)
    p = pickle.loads(pickle.dumps(sd))
    assert isinstance(d, OrderedDict) and list(d) == list(sd) == list(p)
    before = {k: values(v) for k, v in sd.items()}
    opt = optim.SGD(m.parameters(), lr=1.0)
    m(swiftnn.tensor([[1.0, 1.0, 1.0]])).sum().backward()
    opt.step()
    assert not np.array_equal(values(sd["0.weight"]), before["0.weight"])  # the live state moved
    for k in sd:
        np.testing.assert_array_equal(values(d[k]), before[k])
        np.testing.assert_array_equal(values(p[k]), before[k])
    m.load_state_dict(d)
    np.testing.assert_array_equal(values(m[0].weight), before["0.weight"])


def test_deepcopy_leaves_the_random_stream_alone():
    swiftnn.manual_seed(7)
    expected = values(swiftnn.rand(5))
    m = mlp()
    swiftnn.manual_seed(7)
    copy.deepcopy(m)
    pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(values(swiftnn.rand(5)), expected)


def test_deepcopy_of_user_module_with_python_children(handles):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    b = Block()
    c = copy.deepcopy(b)
    x = swiftnn.tensor([[0.3, -0.7]])
    np.testing.assert_array_equal(values(c(x)), values(b(x)))
    assert c.layers[0].weight is not b.layers[0].weight


# ---- optimizers and other engine objects -------------------------------------------------------

def test_optimizer_copy_shares(handles):
    p = nn.Parameter(swiftnn.tensor([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    shallow = copy.copy(opt)
    del opt
    gc.collect()
    (p * p).sum().backward()  # grad = 2p = [2, 4]
    shallow.step()            # the first momentum step is the gradient: p -= 0.5 * grad
    np.testing.assert_array_equal(values(p), [0.0, 0.0])
    sched = optim.lr_scheduler.StepLR(shallow, step_size=1, gamma=0.5)
    s2 = copy.copy(sched)
    del sched
    gc.collect()
    s2.step()
    assert shallow.param_groups[0]["lr"] == 0.25
    # deepcopy copies the optimizer too and continues the schedule from the same epoch
    s3 = copy.deepcopy(s2)
    assert s3.optimizer is not shallow and s3.last_epoch == s2.last_epoch
    assert s3.get_last_lr() == s2.get_last_lr() == [0.25]
    s3.step()
    assert s3.get_last_lr() == [0.125] and shallow.param_groups[0]["lr"] == 0.25


def momentum_run(opt, p, steps):
    for _ in range(steps):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    return values(p)


OPTIMIZERS = {"sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
              "adam": lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
              "adamw": lambda ps: optim.AdamW(ps, lr=0.1),
              "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
              "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1)}


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_deepcopy_and_pickle_carry_the_state(name, how, handles):
    p = nn.Parameter(swiftnn.tensor([1.0, -2.0]))
    opt = OPTIMIZERS[name]([p])
    momentum_run(opt, p, 2)
    opt.param_groups[0]["lr"] = 0.05
    twin = copy.deepcopy(opt) if how == "deepcopy" else pickle.loads(pickle.dumps(opt))
    assert type(twin) is type(opt) and twin.defaults == opt.defaults
    q = twin.param_groups[0]["params"][0]
    assert q is not p and twin.param_groups[0]["lr"] == 0.05
    np.testing.assert_array_equal(values(q), values(p))
    # the same state: both continue identically, and independently
    a, b = momentum_run(opt, p, 3), momentum_run(twin, q, 3)
    np.testing.assert_array_equal(a, b)
    fresh = nn.Parameter(swiftnn.tensor(values(q)))
    restarted = OPTIMIZERS[name]([fresh])
    restarted.param_groups[0]["lr"] = 0.05
    assert not np.array_equal(momentum_run(restarted, fresh, 1), momentum_run(twin, q, 1))  # state mattered


def test_deepcopy_of_model_and_optimizer_together_stays_tied(handles):
    m = mlp()
    opt = optim.Adam(m.parameters(), lr=0.01)
    m(swiftnn.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    opt.step()
    both = copy.deepcopy({"model": m, "opt": opt})
    m2, opt2 = both["model"], both["opt"]
    assert all(a is b for a, b in zip(m2.parameters(), opt2.param_groups[0]["params"]))
    before = values(m[0].weight)
    m2(swiftnn.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    opt2.step()
    np.testing.assert_array_equal(values(m[0].weight), before)  # the original did not move
    assert not np.array_equal(values(m2[0].weight), before)


def test_dataloader_copy_shares_and_deepcopy_refuses(handles):
    dl = swiftnn.data.DataLoader(swiftnn.zeros(4, 2), swiftnn.tensor([0, 1, 0, 1]), batch_size=2)
    c = copy.copy(dl)
    del dl
    gc.collect()
    assert len(c) == 2 and len(list(c)) == 2
    with pytest.raises(TypeError, match="DataLoader cannot be deep-copied"):
        copy.deepcopy(c)


def test_a_bare_engine_handle_is_never_duplicated(handles):
    m = nn.Linear(2, 2)
    h = m._engine
    assert copy.copy(h) is h
    with pytest.raises(TypeError, match="cannot be deep-copied"):
        copy.deepcopy(h)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(h)
