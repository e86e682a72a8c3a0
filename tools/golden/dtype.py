"""Golden cases for the dtype area: tensors of every dtype through the harness of each test
language (read, run, compared dtype-exactly), then type promotion, conversions and float64
forward and backward.

The first cases move data without arithmetic (permute, cat, index_select already handle every
dtype), so they prove the three readers and comparisons on float64, int32, uint8 and bool."""
import numpy as np
import torch


def build(a):
    # Every dtype read, run and compared in every language (forward only: data movement).
    a.case("permute_float64", "permute", [a.randn(2, 3, dtype=np.float64)], lambda t: t.permute(1, 0),
           grad=False, dims=[1, 0])
    a.case("permute_int32", "permute", [a.ints(-2**31, 2**31 - 1, 2, 3, 2, dtype=np.int32)],
           lambda t: t.permute(2, 0, 1), dims=[2, 0, 1])
    a.case("permute_uint8", "permute", [a.ints(0, 256, 3, 4, dtype=np.uint8)], lambda t: t.permute(1, 0), dims=[1, 0])
    a.case("permute_bool", "permute", [a.ints(0, 2, 2, 5, dtype=np.bool_)], lambda t: t.permute(1, 0), dims=[1, 0])
    a.case("permute_int64_big", "permute", [np.array([[2**62 + 1, -2**63], [2**53 + 1, -1]], dtype=np.int64)],
           lambda t: t.permute(1, 0), dims=[1, 0])
    a.case("cat_bool", "cat", [a.ints(0, 2, 2, 3, dtype=np.bool_), a.ints(0, 2, 1, 3, dtype=np.bool_)],
           lambda x, y: torch.cat([x, y], 0), dim=0)
    a.case("index_select_uint8", "index_select", [a.ints(0, 256, 4, 3, dtype=np.uint8), np.array([3, 0, 3], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), dim=0)
    a.case("index_select_float64", "index_select",
           [np.array([[1.0, 1e-300, np.nan], [np.inf, -0.0, 1 + 2**-52]]), np.array([1, 0], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), grad=False, dim=0)
