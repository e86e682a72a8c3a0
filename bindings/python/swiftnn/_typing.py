"""Type aliases shared by the annotations of the public API, named as in PyTorch's stubs
(torch.types.Number, torch._prims_common.ShapeType): read by type checkers, no effect at run time."""
import builtins
from typing import IO, TYPE_CHECKING, Sequence, Union

if TYPE_CHECKING:
    import os

    from .dtypes import dtype
    from .tensor import Tensor

Number = Union[builtins.int, builtins.float, builtins.bool]
# A size given as one int or a sequence of ints (kernel_size=3 or (3, 5)), torch's _size / _int | _size.
IntOrSize = Union[builtins.int, Sequence[builtins.int]]
# What a binary op accepts beside a Tensor: a Python number, as torch's `other: Tensor | Number`.
TensorOrNumber = Union["Tensor", Number]
# What torch.load / torch.save take as a file: a path or a binary file object (torch.types.FileLike).
FileLike = Union[builtins.str, "os.PathLike[builtins.str]", IO[builtins.bytes]]
# A dtype argument: a swiftnn dtype, or a numpy dtype (dtypes.check accepts both).
DTypeLike = Union["dtype", type, str]
