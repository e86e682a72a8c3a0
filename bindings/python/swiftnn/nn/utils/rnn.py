"""torch.nn.utils.rnn: PackedSequence, pack_padded_sequence, pad_packed_sequence, pad_sequence
and pack_sequence with PyTorch's layout (data packed time step by time step, batch_sizes,
sorted_indices / unsorted_indices), built from differentiable engine ops (narrow, cat, stack,
index_select), so gradients flow through packing. nn.RNN / LSTM / GRU accept a
PackedSequence: it is unpacked to a padded batch and the engine's per-sequence lengths, which
stop each sequence's recurrence at its length, and the output is packed again."""
from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Sequence, Tuple, Union, cast

import numpy as np

from ...dtypes import int64
from ...tensor import Tensor, tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]


class PackedSequence(NamedTuple):
    """data [sum(lengths), *]: step 0 of every sequence, then step 1 of those still running, ...
    (sequences in decreasing length order); batch_sizes[t]: how many run at step t (int64);
    sorted_indices / unsorted_indices: the permutation to that order and back (None when the
    batch was already sorted)."""
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None


def _lengths_list(lengths: Any) -> List[int]:
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _sorted_order(lengths: List[int]) -> List[int]:
    # Decreasing length; ties keep their order (a stable sort).
    return sorted(range(len(lengths)), key=lambda b: -lengths[b])


def _index(order: List[int]) -> Tensor:
    return tensor(order, dtype=int64)


def _pack_time_major(x: Tensor, batch_sizes: List[int]) -> Tensor:
    """x [T, B, *] with its batch already in decreasing-length order -> data [sum, *]."""
    from ...shape import cat
    return cat([x[t].narrow(0, 0, bs) for t, bs in enumerate(batch_sizes)], 0)


def pack_padded_sequence(input: Tensor, lengths: Union[Tensor, Sequence[int]], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch [T, B, *] ([B, T, *] batch_first) whose sequence b has lengths[b]
    valid steps. enforce_sorted=True requires decreasing lengths; otherwise the batch is sorted
    and the permutation kept in the result."""
    lens = _lengths_list(lengths)
    if any(v <= 0 for v in lens):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    x = input.transpose(0, 1) if batch_first else input
    if len(lens) != x.shape[1]:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
                         f"(batch_size={x.shape[1]})")
    if max(lens) > x.shape[0]:
        raise RuntimeError(f"lengths has a value {max(lens)} longer than the sequence length {x.shape[0]}")
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        sorted_idx = unsorted_idx = None
        order = list(range(len(lens)))
    else:
        order = _sorted_order(lens)
        sorted_idx = _index(order)
        unsorted_idx = _index([int(i) for i in np.argsort(order, kind="stable")])
        x = x.index_select(1, sorted_idx)
    slens = [lens[b] for b in order]
    batch_sizes = [sum(1 for v in slens if v > t) for t in range(slens[0])]
    return PackedSequence(_pack_time_major(x, batch_sizes), tensor(batch_sizes, dtype=int64), sorted_idx, unsorted_idx)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded [T, B, *] or [B, T, *], lengths int64 [B])
    in the original batch order; padding positions hold padding_value."""
    from ...tensor import full
    from ...shape import cat, stack
    data, bs = sequence.data, [int(v) for v in sequence.batch_sizes.tolist()]
    steps = len(bs)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    b = bs[0] if bs else 0
    feat = tuple(data.shape[1:])
    rows: list[Optional[Tensor]] = []
    at = 0
    for t in range(steps):
        n = bs[t] if t < len(bs) else 0
        part = data.narrow(0, at, n) if n else None
        at += n
        if n < b:
            pad = full((b - n,) + feat, padding_value, dtype=data.dtype)
            part = pad if part is None else cat([part, pad], 0)
        rows.append(part)
    padded = stack(cast("list[Tensor]", rows), 0)  # [T, B, *] in sorted order (None only when b == 0)
    lengths = [sum(1 for v in bs if v > j) for j in range(b)]
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        order = [int(v) for v in cast(Tensor, sequence.sorted_indices).tolist()]  # set with unsorted_indices
        orig = [0] * b
        for pos, src in enumerate(order):
            orig[src] = lengths[pos]
        lengths = orig
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths, dtype=int64)


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks sequences [L_i, *] into [T, B, *] ([B, T, *] batch_first), T = max L_i, padding
    with padding_value on the right (or the left)."""
    from ...tensor import full
    from ...shape import cat, stack
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    out = []
    for s in seqs:
        missing = longest - s.shape[0]
        if missing:
            pad = full((missing,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        out.append(s)
    return stack(out, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences [L_i, *] (pad_sequence, then pack_padded_sequence)."""
    return pack_padded_sequence(pad_sequence(sequences), [s.shape[0] for s in sequences], enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Union[Tensor, Sequence[int]], batch_first: bool = False) -> List[Tensor]:
    """The list of sequences [lengths[b], *] of a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b].narrow(0, 0, n) for b, n in enumerate(_lengths_list(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """The list of sequences of a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def run_packed(module: Any, input: PackedSequence, hx: Any) -> Tuple[PackedSequence, Any]:
    """nn.RNN / LSTM / GRU on a PackedSequence: unpacked to the padded batch in its original
    order with per-sequence lengths (the engine stops each sequence at its length, so h_n is
    its last valid step), then the output is packed again in the input's order."""
    padded, lengths = pad_packed_sequence(input, batch_first=module.batch_first)
    out, hidden = module.forward(padded, hx, lengths=lengths)
    x = out.transpose(0, 1) if module.batch_first else out
    if input.sorted_indices is not None:
        x = x.index_select(1, input.sorted_indices)
    bs = [int(v) for v in input.batch_sizes.tolist()]
    return PackedSequence(_pack_time_major(x, bs), input.batch_sizes, input.sorted_indices,
                          input.unsorted_indices), hidden
