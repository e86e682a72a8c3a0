"""Golden cases for the shape area: reshape/view, flatten, squeeze, unsqueeze, transpose, permute,
slice, select, index_select, cat, stack, expand (float32 with gradients, a few int64 forward-only).

Attributes: shape/dims as comma lists ("none" for an empty list), slice bounds as plain ints
(end=9223372036854775807 means "to the end", as INT64_MAX in C)."""
import numpy as np
import torch

END = 2**63 - 1


def _slice(dim, start, end, step):
    def f(t):
        key = [slice(None)] * (dim % t.dim()) + [slice(start, end, step)]
        return t[tuple(key)]
    return f


def build(a):
    # reshape / view: one -1, to and from a scalar.
    a.case("reshape_infer", "reshape", [a.randn(2, 3, 4)], lambda t: t.reshape(4, -1), shape=[4, -1])
    a.case("reshape_infer_first", "reshape", [a.randn(3, 4)], lambda t: t.reshape(-1, 2, 2), shape=[-1, 2, 2])
    a.case("reshape_to_scalar", "reshape", [a.randn(1, 1)], lambda t: t.reshape(()), shape=[])
    a.case("reshape_from_scalar", "reshape", [a.randn()], lambda t: t.reshape(1, 1, -1), shape=[1, 1, -1])
    a.case("view_flat", "view", [a.randn(2, 5)], lambda t: t.view(10), shape=[10])

    # flatten
    a.case("flatten_all", "flatten", [a.randn(2, 3, 4)], lambda t: t.flatten(), start=0, end=-1)
    a.case("flatten_mid", "flatten", [a.randn(2, 3, 4, 2)], lambda t: t.flatten(1, 2), start=1, end=2)
    a.case("flatten_neg", "flatten", [a.randn(2, 3, 4, 2)], lambda t: t.flatten(-3, -1), start=-3, end=-1)
    a.case("flatten_scalar", "flatten", [a.randn()], lambda t: t.flatten(), start=0, end=-1)

    # squeeze / unsqueeze
    a.case("squeeze_all", "squeeze", [a.randn(1, 3, 1, 2)], lambda t: t.squeeze(), dims=[])
    a.case("squeeze_neg", "squeeze", [a.randn(1, 3, 1, 2)], lambda t: t.squeeze(-2), dims=[-2])
    a.case("squeeze_not_one", "squeeze", [a.randn(2, 3)], lambda t: t.squeeze(1), dims=[1])
    a.case("squeeze_two", "squeeze", [a.randn(1, 3, 1)], lambda t: t.squeeze((0, 2)), dims=[0, 2])
    a.case("unsqueeze_front", "unsqueeze", [a.randn(3, 4)], lambda t: t.unsqueeze(0), dim=0)
    a.case("unsqueeze_mid", "unsqueeze", [a.randn(3, 4)], lambda t: t.unsqueeze(1), dim=1)
    a.case("unsqueeze_neg", "unsqueeze", [a.randn(3, 4)], lambda t: t.unsqueeze(-1), dim=-1)
    a.case("unsqueeze_scalar", "unsqueeze", [a.randn()], lambda t: t.unsqueeze(0), dim=0)

    # transpose: 2-D (small, and larger than the 32x32 tile with ragged edges), batched, negative.
    a.case("transpose_2d", "transpose", [a.randn(5, 7)], lambda t: t.transpose(0, 1), dim0=0, dim1=1)
    a.case("transpose_big", "transpose", [a.randn(70, 45)], lambda t: t.transpose(1, 0), dim0=1, dim1=0)
    a.case("transpose_batched", "transpose", [a.randn(2, 3, 4)], lambda t: t.transpose(1, 2), dim0=1, dim1=2)
    a.case("transpose_outer_neg", "transpose", [a.randn(2, 3, 4)], lambda t: t.transpose(0, -1), dim0=0, dim1=-1)
    a.case("transpose_same", "transpose", [a.randn(3, 4)], lambda t: t.transpose(-1, 1), dim0=-1, dim1=1)
    a.case("transpose_singleton", "transpose", [a.randn(1, 5)], lambda t: t.transpose(0, 1), dim0=0, dim1=1)

    # permute
    a.case("permute_3d", "permute", [a.randn(2, 3, 4)], lambda t: t.permute(2, 0, 1), dims=[2, 0, 1])
    a.case("permute_neg", "permute", [a.randn(2, 3, 4, 2)], lambda t: t.permute(-1, 1, 0, -2), dims=[-1, 1, 0, -2])
    a.case("permute_inner", "permute", [a.randn(2, 3, 4, 5)], lambda t: t.permute(0, 1, 3, 2), dims=[0, 1, 3, 2])
    a.case("permute_singletons", "permute", [a.randn(3, 1, 4)], lambda t: t.permute(1, 0, 2), dims=[1, 0, 2])
    a.case("permute_scalar", "permute", [a.randn()], lambda t: t.permute(()), dims=[])

    # slice: contiguous block (view), steps, negative and clamped bounds, empty, huge step.
    for name, shape, dim, start, end, step in [
        ("slice_rows", (6, 5), 0, 1, 4, 1),
        ("slice_step", (10, 3), 0, 1, 9, 3),
        ("slice_mid_step", (3, 10, 2), 1, 2, 10, 4),
        ("slice_neg", (4, 8), -1, -5, -1, 2),
        ("slice_clamp_end", (4, 6), 1, 2, 100, 1),
        ("slice_clamp_start", (5, 4), 0, -100, 3, 1),
        ("slice_to_end", (3, 7), -1, -3, END, 1),
        ("slice_empty", (5, 4), 1, 3, 1, 1),
        ("slice_past_end", (5, 4), 0, 7, 9, 1),
        ("slice_huge_step", (5, 4), 0, 1, END, 2**62),
    ]:
        a.case(name, "slice", [a.randn(*shape)], _slice(dim, start, end, step), dim=dim, start=start, end=end, step=step)

    # select
    a.case("select_row", "select", [a.randn(3, 4)], lambda t: t.select(0, 1), dim=0, index=1)
    a.case("select_neg", "select", [a.randn(3, 4, 2)], lambda t: t.select(1, -1), dim=1, index=-1)
    a.case("select_last_dim", "select", [a.randn(3, 4)], lambda t: t.select(-1, 2), dim=-1, index=2)
    a.case("select_to_scalar", "select", [a.randn(4)], lambda t: t.select(0, -4), dim=0, index=-4)

    # index_select: repeated indices accumulate in the gradient.
    a.case("index_select_repeat", "index_select", [a.randn(4, 3), np.array([2, 0, 2, 3, 2], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), dim=0)
    a.case("index_select_mid", "index_select", [a.randn(2, 5, 3), np.array([4, 1, 1], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 1, i), dim=1)
    a.case("index_select_neg_dim", "index_select", [a.randn(3, 4), np.array([3, 0], dtype=np.int64)],
           lambda t, i: torch.index_select(t, -1, i), dim=-1)
    a.case("index_select_scalar_index", "index_select", [a.randn(3, 4), np.array(2, dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), dim=0)
    a.case("index_select_none", "index_select", [a.randn(3, 4), np.zeros(0, dtype=np.int64)],
           lambda t, i: torch.index_select(t, 1, i), dim=1)

    # cat: three tensors along a middle dimension, negative dim, legacy skipped [0] tensor.
    a.case("cat_mid3", "cat", [a.randn(2, 3, 4), a.randn(2, 1, 4), a.randn(2, 5, 4)],
           lambda *ts: torch.cat(ts, 1), dim=1)
    a.case("cat_rows", "cat", [a.randn(2, 3), a.randn(4, 3)], lambda *ts: torch.cat(ts, 0), dim=0)
    a.case("cat_neg", "cat", [a.randn(3, 2), a.randn(3, 4), a.randn(3, 1)], lambda *ts: torch.cat(ts, -1), dim=-1)
    a.case("cat_skip_empty", "cat", [a.randn(2, 3), a.randn(0), a.randn(2, 2)], lambda *ts: torch.cat(ts, 1), dim=1)
    a.case("cat_one", "cat", [a.randn(2, 3)], lambda *ts: torch.cat(ts, 0), dim=0)

    # stack: at dim -1, 0 and in the middle; scalars.
    a.case("stack_last", "stack", [a.randn(2, 3), a.randn(2, 3), a.randn(2, 3)], lambda *ts: torch.stack(ts, -1), dim=-1)
    a.case("stack_first", "stack", [a.randn(2, 3), a.randn(2, 3)], lambda *ts: torch.stack(ts, 0), dim=0)
    a.case("stack_mid", "stack", [a.randn(2, 3), a.randn(2, 3), a.randn(2, 3)], lambda *ts: torch.stack(ts, 1), dim=1)
    a.case("stack_scalars", "stack", [a.randn(), a.randn(), a.randn()], lambda *ts: torch.stack(ts), dim=0)

    # expand: new leading dimensions, -1, from a scalar, a middle singleton, no-op, to size 0.
    a.case("expand_lead", "expand", [a.randn(3, 1)], lambda t: t.expand(2, 3, 4), shape=[2, 3, 4])
    a.case("expand_keep", "expand", [a.randn(3, 1)], lambda t: t.expand(-1, 5), shape=[-1, 5])
    a.case("expand_scalar", "expand", [a.randn()], lambda t: t.expand(2, 3), shape=[2, 3])
    a.case("expand_mid", "expand", [a.randn(2, 1, 3)], lambda t: t.expand(2, 4, 3), shape=[2, 4, 3])
    a.case("expand_same", "expand", [a.randn(2, 3)], lambda t: t.expand(2, 3), shape=[2, 3])
    a.case("expand_zero", "expand", [a.randn(3, 1)], lambda t: t.expand(3, 0), shape=[3, 0])

    # int64 tensors go through the same kernels (forward only).
    a.case("transpose_int64", "transpose", [a.ints(-50, 50, 3, 5)], lambda t: t.transpose(0, 1), grad=False, dim0=0, dim1=1)
    a.case("slice_int64", "slice", [a.ints(-50, 50, 4, 6)], _slice(1, 1, 6, 2), grad=False, dim=1, start=1, end=6, step=2)
    a.case("index_select_int64", "index_select", [a.ints(-50, 50, 4, 2), np.array([3, 3, 0], dtype=np.int64)],
           lambda t, i: torch.index_select(t, 0, i), grad=False, dim=0)
    a.case("cat_int64", "cat", [a.ints(0, 9, 2, 2), a.ints(0, 9, 2, 3)], lambda *ts: torch.cat(ts, 1), grad=False, dim=1)
    a.case("expand_int64", "expand", [a.ints(0, 9, 1, 3)], lambda t: t.expand(2, 3), grad=False, shape=[2, 3])
