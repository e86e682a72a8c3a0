"""torch.as_strided and Tensor.as_strided: a view of a tensor's storage with any sizes,
strides (in elements, none negative) and storage offset, bounds-checked by the engine against
the storage (snn_tensor_as_strided, swiftnn/inplace.h)."""
from typing import Optional, Sequence

from ._lib import lib
from .shape import _int, _int_array
from .tensor import Tensor, _new


def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],
               storage_offset: Optional[int] = None) -> Tensor:
    """A view of input's storage with `size`, `stride` and `storage_offset` (default: input's
    own offset), sharing memory; out of the storage's bounds is PyTorch's RuntimeError."""
    fn = "as_strided"
    sz, n = _int_array(list(size), fn, "size")
    st, m = _int_array(list(stride), fn, "stride")
    if n != m:
        raise RuntimeError(f"{fn}: mismatch in length of strides and shape ({n} sizes, {m} strides)")
    offset = -1 if storage_offset is None else _int(storage_offset, fn, "storage_offset")
    if storage_offset is not None and offset < 0:
        raise RuntimeError(f"{fn}: Tensor: invalid storage offset {offset}")
    return _new(lib.snn_tensor_as_strided, input._h, sz, st, n, offset)


setattr(Tensor, "as_strided", as_strided)
