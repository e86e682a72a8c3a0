"""Dtypes as a PyTorch user meets them: what creation functions return, .to() and its short
forms, Python numbers in arithmetic, and the errors (unsupported dtypes named, integer division
by zero, bool subtraction, devices). Values against PyTorch are in the golden "dtype" area."""
import gc
import pickle

import numpy as np
import pytest

import swiftnn


def test_creation_defaults_are_pytorchs():
    assert swiftnn.tensor([True, False]).dtype is swiftnn.bool
    assert swiftnn.tensor([1, 2]).dtype is swiftnn.int64
    assert swiftnn.tensor([1.0]).dtype is swiftnn.float32
    assert swiftnn.tensor([1, 2.5]).dtype is swiftnn.float32
    assert swiftnn.tensor(np.array([1.0])).dtype is swiftnn.float64
    assert swiftnn.tensor(np.array([1], np.int32)).dtype is swiftnn.int32
    assert swiftnn.from_numpy(np.array([7], np.uint8)).dtype is swiftnn.uint8
    assert swiftnn.arange(5).dtype is swiftnn.int64
    assert swiftnn.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert swiftnn.arange(0, 1, 0.5).dtype is swiftnn.float32
    assert swiftnn.full((2,), 7).dtype is swiftnn.int64
    assert swiftnn.full((2,), True).dtype is swiftnn.bool
    assert swiftnn.full((2,), 1.5).dtype is swiftnn.float32
    assert swiftnn.zeros(2).dtype is swiftnn.float32
    assert swiftnn.get_default_dtype() is swiftnn.float32


def test_dtype_keyword_on_every_creation_function():
    i = swiftnn.tensor([1, 2])
    for t, d in [(swiftnn.zeros(2, 3, dtype=swiftnn.int32), swiftnn.int32),
                 (swiftnn.ones((2,), dtype=swiftnn.float64), swiftnn.float64),
                 (swiftnn.full((2,), 3, dtype=swiftnn.uint8), swiftnn.uint8),
                 (swiftnn.empty(2, dtype=swiftnn.bool), swiftnn.bool),
                 (swiftnn.arange(3, dtype=swiftnn.float64), swiftnn.float64),
                 (swiftnn.tensor([1.7, -1.7], dtype=swiftnn.int64), swiftnn.int64),
                 (swiftnn.zeros_like(i), swiftnn.int64),
                 (swiftnn.ones_like(i, dtype=swiftnn.float64), swiftnn.float64),
                 (swiftnn.full_like(i, 9), swiftnn.int64),
                 (swiftnn.rand(3, dtype=swiftnn.float64), swiftnn.float64),
                 (swiftnn.randn(3, dtype=swiftnn.float64), swiftnn.float64),
                 (swiftnn.rand_like(swiftnn.zeros(2)), swiftnn.float32),
                 (swiftnn.eye(2, 3, dtype=swiftnn.int64), swiftnn.int64),
                 (swiftnn.linspace(0, 1, 5, dtype=swiftnn.float64), swiftnn.float64)]:
        assert t.dtype is d, (t, d)
    assert swiftnn.tensor([1.7, -1.7], dtype=swiftnn.int64).tolist() == [1, -1]
    assert swiftnn.full((2,), 3, dtype=swiftnn.uint8).tolist() == [3, 3]
    assert swiftnn.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    np.testing.assert_allclose(swiftnn.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    with pytest.raises(TypeError, match="int64 is not a floating dtype"):
        swiftnn.rand(2, dtype=swiftnn.int64)
    with pytest.raises(TypeError, match="int64 is not a floating dtype"):
        swiftnn.randn_like(i)


def test_to_and_its_short_forms():
    x = swiftnn.tensor([2.9, -2.9, 300.5, 0.0])
    assert x.long().tolist() == [2, -2, 300, 0]
    assert x.int().dtype is swiftnn.int32
    assert x.byte().tolist() == [2, 254, 44, 0]
    assert x.bool().tolist() == [True, True, True, False]
    assert x.double().dtype is swiftnn.float64
    assert x.double().float().dtype is swiftnn.float32
    assert x.to(swiftnn.int64).tolist() == [2, -2, 300, 0]
    assert x.to("cpu") is x and x.to(x) is x and x.float() is x and x.to(dtype=swiftnn.float32) is x
    assert x.to("cpu", swiftnn.float64).dtype is swiftnn.float64
    assert x.to(copy=True) is not x
    assert x.type_as(swiftnn.tensor([1])).dtype is swiftnn.int64
    assert x.to(np.float64).dtype is swiftnn.float64
    assert x.is_floating_point() and not x.long().is_floating_point()
    assert swiftnn.tensor([True, False]).long().tolist() == [1, 0]


def test_float_conversion_carries_the_gradient_back():
    x = swiftnn.tensor([1.5, -2.0], requires_grad=True)
    y = (x.double() * swiftnn.tensor([3.0, 4.0], dtype=swiftnn.float64)).sum()
    assert y.dtype is swiftnn.float64
    y.backward()
    assert x.grad.dtype is swiftnn.float32
    assert x.grad.tolist() == [3.0, 4.0]
    assert not x.long().requires_grad


def test_python_numbers_promote_as_in_pytorch():
    i = swiftnn.tensor([1, 2, -7])
    assert (i * 2.5).dtype is swiftnn.float32
    assert (i * 2).dtype is swiftnn.int64
    u = swiftnn.tensor([200, 100], dtype=swiftnn.uint8)
    assert (u + 300).dtype is swiftnn.uint8 and (u + 300).tolist() == [244, 144]
    b = swiftnn.tensor([True, False])
    assert (b + b).dtype is swiftnn.bool and (b + 1).dtype is swiftnn.int64
    assert (i / 2).dtype is swiftnn.float32 and (i / 2).tolist() == [0.5, 1.0, -3.5]
    assert (i // 2).tolist() == [0, 1, -4] and (i % 3).tolist() == [1, 2, 2]
    assert (7 // swiftnn.tensor([2, -2])).tolist() == [3, -4] and (-7 % swiftnn.tensor([3])).tolist() == [2]
    assert (swiftnn.tensor([1, 2], dtype=swiftnn.int32) + swiftnn.tensor(1.0, dtype=swiftnn.float64)).dtype is swiftnn.float64
    assert (swiftnn.tensor([1.0]) + swiftnn.tensor(1.0, dtype=swiftnn.float64)).dtype is swiftnn.float32
    assert (-i).tolist() == [-1, -2, 7] and abs(i).tolist() == [1, 2, 7]


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="float16"):
        swiftnn.from_numpy(np.zeros(2, np.float16))
    with pytest.raises(TypeError, match="complex128"):
        swiftnn.tensor(np.zeros(2, np.complex128))
    with pytest.raises(TypeError, match="float16"):
        swiftnn.tensor([1.0]).half()
    with pytest.raises(TypeError, match="int16"):
        swiftnn.tensor([1.0]).to(np.int16)
    with pytest.raises(RuntimeError, match="cuda"):
        swiftnn.tensor([1.0]).to("cuda")
    with pytest.raises(swiftnn.InvalidArgumentError, match="ZeroDivisionError"):
        swiftnn.tensor([1, 2]) // swiftnn.tensor([1, 0])
    with pytest.raises(swiftnn.InvalidArgumentError, match="ZeroDivisionError"):
        swiftnn.tensor([1, 2]) % 0
    with pytest.raises(swiftnn.DTypeError, match="bool"):
        swiftnn.tensor([True]) - swiftnn.tensor([False])
    with pytest.raises(swiftnn.DTypeError, match="bool"):
        -swiftnn.tensor([True])
    with pytest.raises(swiftnn.DTypeError, match="int64"):
        swiftnn.tensor([1, 2]).requires_grad_()
    x = swiftnn.tensor([1.5], requires_grad=True)
    assert not (x // 2).requires_grad  # PyTorch defines no derivative for floor_divide


def test_dtypes_pickle_to_themselves_and_nothing_leaks():
    assert pickle.loads(pickle.dumps(swiftnn.bool)) is swiftnn.bool
    assert repr(swiftnn.float64) == "swiftnn.float64" and swiftnn.double is swiftnn.float64
    gc.collect()
    before = swiftnn.live_handles()
    for _ in range(3):
        x = swiftnn.tensor([1, 2]) * 2.5 + swiftnn.tensor([1.0]).double()
        x.to(swiftnn.int32).byte().bool()
        del x
    gc.collect()
    assert swiftnn.live_handles() == before


def test_gradcheck_in_float64_passes_and_catches_a_wrong_gradient():
    import swiftnn.nn.functional as F
    from swiftnn.gradcheck import GradcheckError
    rng = np.random.default_rng(0)
    x = swiftnn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = swiftnn.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    target = swiftnn.tensor([1, 0, 4])
    assert x.dtype is swiftnn.float64
    assert swiftnn.autograd.gradcheck(lambda a, b: F.cross_entropy(swiftnn.tanh(a @ b), target), (x, w))
    assert swiftnn.autograd.gradcheck(lambda a: (a.exp() / (1 + a * a)).sum(1) % 1.5, (x,))
    # A backward that misses a dependence must fail: detach() hides one from backward.
    with pytest.raises(GradcheckError, match="input 0"):
        swiftnn.autograd.gradcheck(lambda a: a * a.detach(), (x,))
    assert not swiftnn.autograd.gradcheck(lambda a: a * a.detach(), (x,), raise_exception=False)


def test_promote_types_and_result_type_match_pytorchs_table():
    """PyTorch's output dtypes, from the golden dtype area (written by tools/gen_golden.py)."""
    import os
    from safetensors.numpy import load_file
    from conftest import GOLDEN
    golden = load_file(os.path.join(GOLDEN, "dtype.safetensors"))
    names = ["float32", "float64", "int64", "int32", "uint8", "bool"]
    checked = 0
    for x in names:
        for y in names:
            torch_dtype = golden[f"add_{x}_{y}.out0"].dtype
            assert swiftnn.promote_types(getattr(swiftnn, x), getattr(swiftnn, y)).np == torch_dtype, (x, y)
            a, b = swiftnn.from_numpy(golden[f"add_{x}_0d_{y}.in0"]), swiftnn.from_numpy(golden[f"add_{x}_0d_{y}.in1"])
            assert swiftnn.result_type(a, b).np == golden[f"add_{x}_0d_{y}.out0"].dtype, (x, "0-d", y)
            checked += 2
        t = swiftnn.from_numpy(golden[f"scalar_mul_{x}_float2p5.in0"])
        assert swiftnn.result_type(t, 2.5).np == golden[f"scalar_mul_{x}_float2p5.out0"].dtype
        assert swiftnn.result_type(t, 300).np == golden[f"scalar_mul_{x}_int300.out0"].dtype
    assert checked == 72
