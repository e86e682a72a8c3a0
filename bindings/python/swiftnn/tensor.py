"""The Python Tensor: a handle to an engine tensor, with PyTorch's names and operators.
numpy arrays are shared, not copied (zerocopy.py); copies and pickling are in copying.py,
DLPack in dlpack.py. Ops live in the engine; this file only wraps."""
from __future__ import annotations

import builtins as _builtins
import ctypes
import numbers
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union, cast, overload

import numpy as np

from . import dtypes as _dtypes
from ._lib import check, lib, shape_array
from .dtypes import dtype, float32, int64  # noqa: F401  (swiftnn.dtype)
from .dtypes import float, long  # noqa: F401,A004  (torch.float, torch.long)
from ._typing import DTypeLike, IntOrSize, Number, TensorOrNumber

if TYPE_CHECKING:  # the methods other modules install on Tensor, declared for type checkers
    from ._tensor_methods import TensorMethods as _Methods
    from ._grad_hooks import TensorHookHandle
    from .generator import Generator
else:
    _Methods = object

_DTYPES = _dtypes.BY_CODE  # snn_dtype -> dtype


def _new(fn: Callable[..., int], *args: Any) -> Tensor:
    """Calls a C function whose first parameter receives a new tensor handle."""
    out = ctypes.c_void_p()
    check(fn(ctypes.byref(out), *args))
    # Typed as a Tensor: every function called through here writes a handle when it succeeds
    # (snn_tensor_grad, which may write NULL, goes through Tensor._wrap itself).
    return _wrap_new(out.value)


def _wrap_new(handle: Optional[int]) -> Tensor:
    """Tensor._wrap for a handle a successful C call wrote (those calls always write one), so
    typed as a Tensor; Tensor._wrap itself stays Optional for snn_tensor_grad's NULL."""
    return cast(Tensor, Tensor._wrap(handle))


class Tensor(_Methods):
    """A tensor owned by libswiftnn (any swiftnn dtype). Create with swiftnn.tensor(...)."""

    __slots__ = ("_h", "_keep", "__weakref__")  # _keep: zerocopy.array_interface

    _h: Optional[int]
    _keep: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("create tensors with swiftnn.tensor(data), swiftnn.from_numpy(array), "
                        "swiftnn.zeros(shape), ...")

    @classmethod
    def _wrap(cls, handle: Optional[int]) -> Optional[Tensor]:
        if handle is None:
            return None
        t = object.__new__(cls)
        t._h = handle
        return t

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h and lib is not None:
            try:
                lib.snn_tensor_free(h)
            except Exception:  # interpreter shutdown
                pass
            self._h = None

    @property
    def _as_parameter_(self) -> Optional[int]:
        return self._h

    # ---- metadata -----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The sizes of the dimensions (torch.Tensor.shape)."""
        n = ctypes.c_size_t()
        check(lib.snn_tensor_ndim(ctypes.byref(n), self._h))
        buf = (ctypes.c_int64 * max(n.value, 1))()
        check(lib.snn_tensor_shape(buf, n.value, self._h))
        return Size(buf[: n.value])

    @overload
    def size(self, dim: None = None) -> Size: ...
    @overload
    def size(self, dim: _builtins.int) -> _builtins.int: ...

    def size(self, dim: Optional[_builtins.int] = None) -> Union[Size, _builtins.int]:
        """torch.Tensor.size: the shape, or the size of dimension `dim` (negative counts from the end)."""
        s = self.shape
        return s if dim is None else s[dim]

    @property
    def ndim(self) -> _builtins.int:
        """The number of dimensions."""
        n = ctypes.c_size_t()
        check(lib.snn_tensor_ndim(ctypes.byref(n), self._h))
        return n.value

    def dim(self) -> _builtins.int:
        """The number of dimensions (torch.Tensor.dim), as `ndim`."""
        return self.ndim

    def numel(self) -> _builtins.int:
        """The number of elements."""
        n = ctypes.c_int64()
        check(lib.snn_tensor_numel(ctypes.byref(n), self._h))
        return n.value

    @property
    def dtype(self) -> dtype:
        """The element type (swiftnn.float32, swiftnn.int64, ...)."""
        d = ctypes.c_int()
        check(lib.snn_tensor_dtype(ctypes.byref(d), self._h))
        return _DTYPES[d.value]

    def __len__(self) -> _builtins.int:
        s = self.shape
        if not s:
            raise TypeError("len() of a 0-d tensor")
        return s[0]

    # ---- data out: shared with numpy (zerocopy.py), DLPack (dlpack.py) --------------------
    def numpy(self, *, force: _builtins.bool = False) -> np.ndarray[Any, Any]:
        """A numpy array sharing this tensor's memory (torch.Tensor.numpy)."""
        from . import zerocopy
        return zerocopy.to_numpy(self, force)

    def __array__(self, dtype: Any = None, copy: Optional[_builtins.bool] = None) -> np.ndarray[Any, Any]:
        from . import zerocopy
        return zerocopy.array(self, dtype, copy)

    @property
    def __array_interface__(self) -> dict[str, Any]:
        from . import zerocopy
        return zerocopy.array_interface(self)

    def __dlpack__(self, stream: Any = None, *, max_version: Optional[tuple[_builtins.int, _builtins.int]] = None,
                   dl_device: Optional[tuple[_builtins.int, _builtins.int]] = None,
                   copy: Optional[_builtins.bool] = None) -> Any:
        from . import dlpack
        return dlpack.to_capsule(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self) -> tuple[_builtins.int, _builtins.int]:
        return (1, 0)  # (kDLCPU, 0)

    # ---- copies and pickling (copying.py) -------------------------------------------------
    def __copy__(self) -> Tensor:
        from . import copying
        return copying.copy_tensor(self)

    def __deepcopy__(self, memo: dict[_builtins.int, Any]) -> Tensor:
        from . import copying
        return copying.deepcopy_tensor(self, memo)

    def __reduce_ex__(self, protocol: Any) -> Any:
        from . import copying
        return copying.reduce_tensor(self)

    def item(self) -> Number:
        """The value of a one-element tensor as a Python number: float, int or bool by dtype."""
        v = ctypes.c_double()
        check(lib.snn_tensor_item(ctypes.byref(v), self._h))
        dt = self.dtype
        if dt.is_floating_point:
            return v.value
        return _builtins.bool(v.value) if dt is _dtypes.bool_ else int(v.value)

    def tolist(self) -> Any:
        """The values as nested Python lists of numbers (a number for a 0-d tensor)."""
        return self.numpy(force=True).tolist()

    def __float__(self) -> _builtins.float:
        return _builtins.float(self.item())

    def __int__(self) -> _builtins.int:
        return int(self.item())

    def __bool__(self) -> _builtins.bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(force=True), separator=", ", precision=4, prefix="tensor(")
        extra = ""
        if self.dtype not in (float32, int64, _dtypes.bool_):  # the ones torch's repr leaves implicit
            extra = f", dtype={self.dtype!r}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"tensor({body}{extra})"

    def clone(self) -> Tensor:
        """A copy with its own storage that stays in the autograd graph (torch.Tensor.clone)."""
        return _new(lib.snn_tensor_clone, self._h)

    # ---- autograd -----------------------------------------------------------------------
    @property
    def requires_grad(self) -> _builtins.bool:
        """Whether autograd records ops on this tensor (settable on leaves)."""
        b = ctypes.c_bool()
        check(lib.snn_tensor_requires_grad(ctypes.byref(b), self._h))
        return b.value

    @requires_grad.setter
    def requires_grad(self, flag: _builtins.bool) -> None:
        check(lib.snn_tensor_set_requires_grad(self._h, bool(flag)))

    def requires_grad_(self, requires_grad: _builtins.bool = True) -> Tensor:
        """Sets requires_grad in place and returns this tensor (torch.Tensor.requires_grad_)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> _builtins.bool:
        """True for tensors not made by a recorded op (user-created, or requires_grad False)."""
        b = ctypes.c_bool()
        check(lib.snn_tensor_is_leaf(ctypes.byref(b), self._h))
        return b.value

    @property
    def grad(self) -> Optional[Tensor]:
        """The gradient accumulated by backward() (None before any); settable."""
        out = ctypes.c_void_p()
        check(lib.snn_tensor_grad(ctypes.byref(out), self._h))
        return Tensor._wrap(out.value)  # None until a backward pass reaches this tensor

    @grad.setter
    def grad(self, value: Optional[Tensor]) -> None:
        g = None if value is None else _as_tensor(value)
        check(lib.snn_tensor_set_grad(self._h, None if g is None else g._h))

    def backward(self, gradient: Optional[TensorOrNumber] = None, retain_graph: Optional[_builtins.bool] = None,
                 create_graph: _builtins.bool = False) -> None:
        """Accumulates d(self)/d(leaf) into the .grad of every leaf that requires grad
        (torch.Tensor.backward). `gradient` is d(loss)/d(self), required unless self has one
        element; `retain_graph=True` keeps the graph for another backward; `create_graph` is not
        supported (no higher-order gradients)."""
        if create_graph:
            raise NotImplementedError("swiftnn: create_graph (higher-order gradients) is not supported")
        g = None if gradient is None else _as_tensor(gradient)
        status = lib.snn_tensor_backward(self._h, None if g is None else g._h, bool(retain_graph))
        if status != 0:
            from ._grad_hooks import take_error
            hook_error = take_error()
            if hook_error is not None:
                raise hook_error
        check(status)

    def register_hook(self, hook: Callable[[Tensor], Optional[Tensor]]) -> TensorHookHandle:
        """Calls hook(grad) every time the gradient with respect to this tensor is computed
        (torch.Tensor.register_hook); a returned tensor (same shape and dtype) is used in place
        of grad. On a leaf it runs before the gradient is accumulated into .grad. Returns a
        handle whose remove() unregisters the hook. An exception in the hook stops backward()
        and is raised from it."""
        from ._grad_hooks import register
        return register(self, hook)

    def retain_grad(self) -> None:
        """Makes backward() fill .grad on this non-leaf tensor too."""
        check(lib.snn_tensor_retain_grad(self._h))

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the autograd graph (torch.Tensor.detach)."""
        return _new(lib.snn_tensor_detach, self._h)

    # ---- arithmetic ----------------------------------------------------------------------
    def __add__(self, o: TensorOrNumber) -> Tensor: return add(self, o)
    def __radd__(self, o: TensorOrNumber) -> Tensor: return add(o, self)
    def __sub__(self, o: TensorOrNumber) -> Tensor: return sub(self, o)
    def __rsub__(self, o: TensorOrNumber) -> Tensor: return sub(o, self)
    def __mul__(self, o: TensorOrNumber) -> Tensor: return mul(self, o)
    def __rmul__(self, o: TensorOrNumber) -> Tensor: return mul(o, self)
    def __truediv__(self, o: TensorOrNumber) -> Tensor: return div(self, o)
    def __rtruediv__(self, o: TensorOrNumber) -> Tensor: return div(o, self)
    def __matmul__(self, o: TensorOrNumber) -> Tensor: return matmul(self, o)
    def __rmatmul__(self, o: TensorOrNumber) -> Tensor: return matmul(o, self)

    def add(self, o: TensorOrNumber) -> Tensor:
        """self + o, broadcasting (torch.Tensor.add)."""
        return add(self, o)

    def sub(self, o: TensorOrNumber) -> Tensor:
        """self - o, broadcasting (torch.Tensor.sub)."""
        return sub(self, o)

    def mul(self, o: TensorOrNumber) -> Tensor:
        """self * o, broadcasting (torch.Tensor.mul)."""
        return mul(self, o)

    def div(self, o: TensorOrNumber) -> Tensor:
        """self / o, true division, broadcasting (torch.Tensor.div)."""
        return div(self, o)

    def matmul(self, o: TensorOrNumber) -> Tensor:
        """self @ o (torch.matmul)."""
        return matmul(self, o)

    def mm(self, o: TensorOrNumber) -> Tensor:
        """self @ o for 2-D tensors (torch.Tensor.mm)."""
        return matmul(self, o)

    def sum(self, dim: Optional[IntOrSize] = None, keepdim: _builtins.bool = False) -> Tensor:
        """The sum over `dim` (all dimensions when None), as torch.Tensor.sum."""
        return sum(self, dim, keepdim)

    def mean(self, dim: Optional[IntOrSize] = None, keepdim: _builtins.bool = False) -> Tensor:
        """The mean over `dim` (all dimensions when None), as torch.Tensor.mean."""
        return mean(self, dim, keepdim)


class Size(tuple[_builtins.int, ...]):
    """torch.Size: a tuple of dimension sizes."""

    def __repr__(self) -> str:
        return f"swiftnn.Size({list(self)})"

    def numel(self) -> _builtins.int:
        """The product of the sizes: the element count of a tensor of this shape."""
        n = 1
        for d in self:
            n *= d
        return n


# ---- creation -------------------------------------------------------------------------------

def from_numpy(a: np.ndarray[Any, Any]) -> Tensor:
    """A tensor sharing `a`'s memory, of `a`'s dtype (torch.from_numpy; see zerocopy.py)."""
    from . import zerocopy
    return zerocopy.from_numpy(a)


def tensor(data: Any, dtype: Optional[DTypeLike] = None, requires_grad: _builtins.bool = False) -> Tensor:
    """swiftnn.tensor([[1., 2.], [3., 4.]], requires_grad=True), as torch.tensor: Python floats
    give float32 (the default dtype), ints int64, bools bool; numpy data keeps its dtype;
    `dtype=` converts in the engine (Tensor.to's rules)."""
    if isinstance(data, Tensor):
        a = data.numpy(force=True)
    else:
        a = np.asarray(data)
        if dtype is None and a.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)):
            a = a.astype(np.float32)
    t = from_numpy(np.array(a, copy=True, order="C"))  # torch.tensor copies; from_numpy shares
    if dtype is not None:
        t = t.to(dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: Optional[DTypeLike] = None) -> Tensor:
    """`data` itself when it is a Tensor of `dtype` (or dtype is None), else swiftnn.tensor(data, dtype)."""
    return data if isinstance(data, Tensor) and dtype in (None, data.dtype) else tensor(data, dtype)


def _number(x: Any) -> Tensor:
    """A Python number as the engine's wrapped number (snn_tensor_number): bool, int (int64)
    or float (float64); in type promotion only its category counts, as in PyTorch."""
    if isinstance(x, (_builtins.bool, np.bool_)):
        a = np.array(x, dtype=np.bool_)
    elif isinstance(x, numbers.Integral):
        a = np.array(x, dtype=np.int64)  # OverflowError beyond int64, as torch
    else:
        a = np.array(x, dtype=np.float64)
    d = _dtypes.from_numpy_dtype(a.dtype, "swiftnn")
    return _new(lib.snn_tensor_number, a.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), d.code)


def _as_tensor(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, np.generic):
        return _number(x)
    if isinstance(x, np.bool_):
        return _number(x)
    return tensor(x)


def _shape_args(size: Sequence[Any]) -> tuple[Any, _builtins.int]:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    return shape_array(size)


def _filled(fn: str, size: tuple[Any, _builtins.int], value: Number, dtype: Optional[DTypeLike],
            requires_grad: _builtins.bool, fn_float32: Optional[Callable[..., _builtins.int]] = None) -> Tensor:
    """A tensor of `size` filled with `value`: float32 through fn_float32 where given, other
    dtypes through snn_tensor_full_dtype (the value converted as Tensor.to converts)."""
    shp, nd = size
    d = float32 if dtype is None else _dtypes.check(dtype, fn)
    if d is float32 and fn_float32 is not None:
        t = _new(fn_float32, shp, nd)
    else:
        t = _new(lib.snn_tensor_full_dtype, shp, nd, _builtins.float(value), d.code)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: IntOrSize, dtype: Optional[DTypeLike] = None, requires_grad: _builtins.bool = False) -> Tensor:
    """A tensor of zeros: zeros(2, 3) or zeros((2, 3)), float32 unless `dtype` (torch.zeros)."""
    return _filled("swiftnn.zeros", _shape_args(size), 0, dtype, requires_grad, lib.snn_tensor_zeros)


def ones(*size: IntOrSize, dtype: Optional[DTypeLike] = None, requires_grad: _builtins.bool = False) -> Tensor:
    """A tensor of ones: ones(2, 3) or ones((2, 3)), float32 unless `dtype` (torch.ones)."""
    return _filled("swiftnn.ones", _shape_args(size), 1, dtype, requires_grad, lib.snn_tensor_ones)


def full(size: Sequence[_builtins.int], fill_value: Number, dtype: Optional[DTypeLike] = None,
         requires_grad: _builtins.bool = False) -> Tensor:
    """torch.full: without dtype, a bool fill gives bool, an int int64, a float float32."""
    if dtype is None:
        dtype = _dtypes.scalar_dtype(fill_value)
    return _filled("swiftnn.full", shape_array(size), fill_value, dtype, requires_grad)


def arange(start: Number, end: Optional[Number] = None, step: Number = 1, dtype: Optional[DTypeLike] = None,
           requires_grad: _builtins.bool = False) -> Tensor:
    """torch.arange: int64 when start, end and step are all ints, else float32 (or `dtype`)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = int64 if ints else float32
    d = _dtypes.check(dtype, "swiftnn.arange")
    if d is float32:
        t = _new(lib.snn_tensor_arange, start, end, step)
    else:
        t = _new(lib.snn_tensor_arange_dtype, start, end, step, d.code)
    return t.requires_grad_(True) if requires_grad else t


def _random(fn: str, c_fn: Callable[..., _builtins.int], size: Sequence[Any], dtype: Optional[DTypeLike],
            requires_grad: _builtins.bool, generator: Any = None,
            from_fn: Optional[Callable[..., _builtins.int]] = None) -> Tensor:
    d = float32 if dtype is None else _dtypes.check(dtype, fn)
    if not d.is_floating_point:
        raise TypeError(f"{fn}: dtype {d} is not a floating dtype (float32, float64)")
    if generator is not None:
        from .generator import Generator
        if not isinstance(generator, Generator) or from_fn is None:
            raise TypeError(f"{fn}: generator must be a swiftnn.Generator, got {type(generator).__name__}")
        shape, n = _shape_args(size)
        dims = [shape[i] for i in range(n)]
        t = generator._random(from_fn, dims)
    else:
        t = _new(c_fn, *_shape_args(size))
    if d is not float32:  # the float32 draws, widened: the same numbers as without dtype=
        t = t.to(d)
    return t.requires_grad_(True) if requires_grad else t


def rand(*size: IntOrSize, generator: Optional[Generator] = None, dtype: Optional[DTypeLike] = None,
         requires_grad: _builtins.bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator or `generator` (torch.rand);
    float32 unless `dtype`."""
    return _random("swiftnn.rand", lib.snn_tensor_rand, size, dtype, requires_grad, generator, lib.snn_tensor_rand_from)


def randn(*size: IntOrSize, generator: Optional[Generator] = None, dtype: Optional[DTypeLike] = None,
          requires_grad: _builtins.bool = False) -> Tensor:
    """Standard normal samples from the global generator or `generator` (torch.randn);
    float32 unless `dtype`."""
    return _random("swiftnn.randn", lib.snn_tensor_randn, size, dtype, requires_grad, generator, lib.snn_tensor_randn_from)


def manual_seed(seed: _builtins.int) -> None:
    """Seeds the engine's global generator (torch.manual_seed); negative seeds wrap to 64 bits."""
    check(lib.snn_manual_seed(int(seed) & 0xFFFFFFFFFFFFFFFF))


# ---- math -----------------------------------------------------------------------------------

def _binary(fn: Callable[..., _builtins.int], a: TensorOrNumber, b: TensorOrNumber) -> Tensor:
    # Keep the converted operands referenced until the call returns: a temporary's __del__
    # would otherwise free its handle before the library reads it.
    a, b = _as_tensor(a), _as_tensor(b)
    return _new(fn, a._h, b._h)


def add(a: TensorOrNumber, b: TensorOrNumber) -> Tensor:
    """a + b, broadcasting; either may be a Python number (torch.add)."""
    return _binary(lib.snn_tensor_add, a, b)


def sub(a: TensorOrNumber, b: TensorOrNumber) -> Tensor:
    """a - b, broadcasting (torch.sub)."""
    return _binary(lib.snn_tensor_sub, a, b)


def mul(a: TensorOrNumber, b: TensorOrNumber) -> Tensor:
    """a * b, broadcasting (torch.mul)."""
    return _binary(lib.snn_tensor_mul, a, b)


def div(a: TensorOrNumber, b: TensorOrNumber) -> Tensor:
    """a / b, true division, broadcasting (torch.div)."""
    return _binary(lib.snn_tensor_div, a, b)


def matmul(a: TensorOrNumber, b: TensorOrNumber) -> Tensor:
    """The matrix product with torch.matmul's broadcasting rules (1-d, 2-d and batched)."""
    return _binary(lib.snn_tensor_matmul, a, b)




def _dims(dim: Optional[IntOrSize]) -> tuple[Any, _builtins.int]:
    if dim is None:
        return None, 0
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    arr, n = shape_array(dims)
    return arr, n


def sum(input: Tensor, dim: Optional[IntOrSize] = None, keepdim: _builtins.bool = False) -> Tensor:
    """The sum over `dim` (all dimensions when None), keeping reduced dimensions as size 1 with `keepdim`."""
    d, n = _dims(dim)
    return _new(lib.snn_tensor_sum, input._h, d, n, keepdim)


def mean(input: Tensor, dim: Optional[IntOrSize] = None, keepdim: _builtins.bool = False) -> Tensor:
    """The mean over `dim` (all dimensions when None), keeping reduced dimensions as size 1 with `keepdim`."""
    d, n = _dims(dim)
    return _new(lib.snn_tensor_mean, input._h, d, n, keepdim)
