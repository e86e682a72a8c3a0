"""The golden comparison can fail: it is dtype-exact (PyTorch's output dtype), exact on
integers and bools, and tight on float64."""
import numpy as np
import pytest

from test_golden import assert_close


def test_dtype_must_match():
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(np.array([1, 2], np.int32), np.array([1, 2], np.int64), "int32 vs int64")
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(np.array([1.0], np.float32), np.array([1.0], np.float64), "float32 vs float64")
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(np.array([True]), np.array([1], np.uint8), "bool vs uint8")


def test_integers_and_bools_exactly():
    with pytest.raises(AssertionError):
        assert_close(np.array([2**62 + 1], np.int64), np.array([2**62], np.int64), "int64 off by one")
    with pytest.raises(AssertionError):
        assert_close(np.array([True, False]), np.array([True, True]), "bool")
    assert_close(np.array([255], np.uint8), np.array([255], np.uint8), "uint8")


def test_float64_is_tight():
    with pytest.raises(AssertionError):
        assert_close(np.array([2.0 + 2e-7]), np.array([2.0]), "float64 2e-7 off")
    assert_close(np.array([2.0 + 1e-9, np.nan]), np.array([2.0, np.nan]), "float64 1e-9 off")
    assert_close(np.array([2.0 + 2e-7], np.float32), np.array([2.0], np.float32), "float32 2e-7 off")
