"""The Python Tensor: a handle to an engine tensor, with PyTorch's names and operators.
numpy arrays are shared, not copied (zerocopy.py); copies and pickling are in copying.py,
DLPack in dlpack.py. Ops live in the engine; this file only wraps."""
import builtins as _builtins
import ctypes
import numbers

import numpy as np

from . import dtypes as _dtypes
from ._lib import check, lib, shape_array
from .dtypes import dtype, float32, int64  # noqa: F401  (swiftnn.dtype)
from .dtypes import float, long  # noqa: F401,A004  (torch.float, torch.long)

_DTYPES = _dtypes.BY_CODE  # snn_dtype -> dtype


def _new(fn, *args):
    """Calls a C function whose first parameter receives a new tensor handle."""
    out = ctypes.c_void_p()
    check(fn(ctypes.byref(out), *args))
    return Tensor._wrap(out.value)


class Tensor:
    """A tensor owned by libswiftnn (any swiftnn dtype). Create with swiftnn.tensor(...)."""

    __slots__ = ("_h", "_keep", "__weakref__")  # _keep: zerocopy.array_interface

    def __init__(self, *args, **kwargs):
        raise TypeError("create tensors with swiftnn.tensor(data), swiftnn.from_numpy(array), "
                        "swiftnn.zeros(shape), ...")

    @classmethod
    def _wrap(cls, handle):
        if handle is None:
            return None
        t = object.__new__(cls)
        t._h = handle
        return t

    def __del__(self):
        h = getattr(self, "_h", None)
        if h and lib is not None:
            try:
                lib.snn_tensor_free(h)
            except Exception:  # interpreter shutdown
                pass
            self._h = None

    @property
    def _as_parameter_(self):
        return self._h

    # ---- metadata -----------------------------------------------------------------------
    @property
    def shape(self):
        n = ctypes.c_size_t()
        check(lib.snn_tensor_ndim(ctypes.byref(n), self._h))
        buf = (ctypes.c_int64 * max(n.value, 1))()
        check(lib.snn_tensor_shape(buf, n.value, self._h))
        return Size(buf[: n.value])

    def size(self, dim=None):
        s = self.shape
        return s if dim is None else s[dim]

    @property
    def ndim(self):
        n = ctypes.c_size_t()
        check(lib.snn_tensor_ndim(ctypes.byref(n), self._h))
        return n.value

    def dim(self):
        return self.ndim

    def numel(self):
        n = ctypes.c_int64()
        check(lib.snn_tensor_numel(ctypes.byref(n), self._h))
        return n.value

    @property
    def dtype(self):
        d = ctypes.c_int()
        check(lib.snn_tensor_dtype(ctypes.byref(d), self._h))
        return _DTYPES[d.value]

    def __len__(self):
        s = self.shape
        if not s:
            raise TypeError("len() of a 0-d tensor")
        return s[0]

    # ---- data out: shared with numpy (zerocopy.py), DLPack (dlpack.py) --------------------
    def numpy(self, *, force=False):
        """A numpy array sharing this tensor's memory (torch.Tensor.numpy)."""
        from . import zerocopy
        return zerocopy.to_numpy(self, force)

    def __array__(self, dtype=None, copy=None):
        from . import zerocopy
        return zerocopy.array(self, dtype, copy)

    @property
    def __array_interface__(self):
        from . import zerocopy
        return zerocopy.array_interface(self)

    def __dlpack__(self, stream=None, *, max_version=None, dl_device=None, copy=None):
        from . import dlpack
        return dlpack.to_capsule(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        return (1, 0)  # (kDLCPU, 0)

    # ---- copies and pickling (copying.py) -------------------------------------------------
    def __copy__(self):
        from . import copying
        return copying.copy_tensor(self)

    def __deepcopy__(self, memo):
        from . import copying
        return copying.deepcopy_tensor(self, memo)

    def __reduce_ex__(self, protocol):
        from . import copying
        return copying.reduce_tensor(self)

    def item(self):
        v = ctypes.c_double()
        check(lib.snn_tensor_item(ctypes.byref(v), self._h))
        dt = self.dtype
        if dt.is_floating_point:
            return v.value
        return _builtins.bool(v.value) if dt is _dtypes.bool_ else int(v.value)

    def tolist(self):
        return self.numpy(force=True).tolist()

    def __float__(self):
        return _builtins.float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __repr__(self):
        body = np.array2string(self.numpy(force=True), separator=", ", precision=4, prefix="tensor(")
        extra = ""
        if self.dtype not in (float32, int64, _dtypes.bool_):  # the ones torch's repr leaves implicit
            extra = f", dtype={self.dtype!r}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"tensor({body}{extra})"

    def clone(self):
        return _new(lib.snn_tensor_clone, self._h)

    # ---- autograd -----------------------------------------------------------------------
    @property
    def requires_grad(self):
        b = ctypes.c_bool()
        check(lib.snn_tensor_requires_grad(ctypes.byref(b), self._h))
        return b.value

    @requires_grad.setter
    def requires_grad(self, flag):
        check(lib.snn_tensor_set_requires_grad(self._h, bool(flag)))

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        b = ctypes.c_bool()
        check(lib.snn_tensor_is_leaf(ctypes.byref(b), self._h))
        return b.value

    @property
    def grad(self):
        return _new(lib.snn_tensor_grad, self._h)

    @grad.setter
    def grad(self, value):
        g = None if value is None else _as_tensor(value)
        check(lib.snn_tensor_set_grad(self._h, None if g is None else g._h))

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        if create_graph:
            raise NotImplementedError("swiftnn: create_graph (higher-order gradients) is not supported")
        g = None if gradient is None else _as_tensor(gradient)
        check(lib.snn_tensor_backward(self._h, None if g is None else g._h, bool(retain_graph)))

    def retain_grad(self):
        check(lib.snn_tensor_retain_grad(self._h))

    def detach(self):
        return _new(lib.snn_tensor_detach, self._h)

    # ---- arithmetic ----------------------------------------------------------------------
    def __add__(self, o): return add(self, o)
    def __radd__(self, o): return add(o, self)
    def __sub__(self, o): return sub(self, o)
    def __rsub__(self, o): return sub(o, self)
    def __mul__(self, o): return mul(self, o)
    def __rmul__(self, o): return mul(o, self)
    def __truediv__(self, o): return div(self, o)
    def __rtruediv__(self, o): return div(o, self)
    def __matmul__(self, o): return matmul(self, o)
    def __rmatmul__(self, o): return matmul(o, self)

    def add(self, o): return add(self, o)
    def sub(self, o): return sub(self, o)
    def mul(self, o): return mul(self, o)
    def div(self, o): return div(self, o)
    def matmul(self, o): return matmul(self, o)
    def mm(self, o): return matmul(self, o)

    def sum(self, dim=None, keepdim=False): return sum(self, dim, keepdim)
    def mean(self, dim=None, keepdim=False): return mean(self, dim, keepdim)


class Size(tuple):
    """torch.Size: a tuple of dimension sizes."""

    def __repr__(self):
        return f"swiftnn.Size({list(self)})"

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n


# ---- creation -------------------------------------------------------------------------------

def from_numpy(a):
    """A tensor sharing `a`'s memory, of `a`'s dtype (torch.from_numpy; see zerocopy.py)."""
    from . import zerocopy
    return zerocopy.from_numpy(a)


def tensor(data, dtype=None, requires_grad=False):
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


def as_tensor(data, dtype=None):
    return data if isinstance(data, Tensor) and dtype in (None, data.dtype) else tensor(data, dtype)


def _number(x):
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


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, np.generic):
        return _number(x)
    if isinstance(x, np.bool_):
        return _number(x)
    return tensor(x)


def _shape_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    return shape_array(size)


def _filled(fn, size, value, dtype, requires_grad, fn_float32=None):
    """A tensor of `size` filled with `value`: float32 through fn_float32 where given, other
    dtypes through snn_tensor_full_dtype (the value converted as Tensor.to converts)."""
    shp, nd = size
    d = float32 if dtype is None else _dtypes.check(dtype, fn)
    if d is float32 and fn_float32 is not None:
        t = _new(fn_float32, shp, nd)
    else:
        t = _new(lib.snn_tensor_full_dtype, shp, nd, _builtins.float(value), d.code)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size, dtype=None, requires_grad=False):
    return _filled("swiftnn.zeros", _shape_args(size), 0, dtype, requires_grad, lib.snn_tensor_zeros)


def ones(*size, dtype=None, requires_grad=False):
    return _filled("swiftnn.ones", _shape_args(size), 1, dtype, requires_grad, lib.snn_tensor_ones)


def full(size, fill_value, dtype=None, requires_grad=False):
    """torch.full: without dtype, a bool fill gives bool, an int int64, a float float32."""
    if dtype is None:
        dtype = _dtypes.scalar_dtype(fill_value)
    return _filled("swiftnn.full", shape_array(size), fill_value, dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
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


def _random(fn, c_fn, size, dtype, requires_grad):
    d = float32 if dtype is None else _dtypes.check(dtype, fn)
    if not d.is_floating_point:
        raise TypeError(f"{fn}: dtype {d} is not a floating dtype (float32, float64)")
    t = _new(c_fn, *_shape_args(size))
    if d is not float32:  # the float32 draws, widened: the same numbers as without dtype=
        t = t.to(d)
    return t.requires_grad_(True) if requires_grad else t


def rand(*size, dtype=None, requires_grad=False):
    return _random("swiftnn.rand", lib.snn_tensor_rand, size, dtype, requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    return _random("swiftnn.randn", lib.snn_tensor_randn, size, dtype, requires_grad)


def manual_seed(seed):
    check(lib.snn_manual_seed(int(seed) & 0xFFFFFFFFFFFFFFFF))


# ---- math -----------------------------------------------------------------------------------

def _binary(fn, a, b):
    # Keep the converted operands referenced until the call returns: a temporary's __del__
    # would otherwise free its handle before the library reads it.
    a, b = _as_tensor(a), _as_tensor(b)
    return _new(fn, a._h, b._h)


def add(a, b): return _binary(lib.snn_tensor_add, a, b)
def sub(a, b): return _binary(lib.snn_tensor_sub, a, b)
def mul(a, b): return _binary(lib.snn_tensor_mul, a, b)
def div(a, b): return _binary(lib.snn_tensor_div, a, b)
def matmul(a, b): return _binary(lib.snn_tensor_matmul, a, b)


def _dims(dim):
    if dim is None:
        return None, 0
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    arr, n = shape_array(dims)
    return arr, n


def sum(input, dim=None, keepdim=False):
    d, n = _dims(dim)
    return _new(lib.snn_tensor_sum, input._h, d, n, keepdim)


def mean(input, dim=None, keepdim=False):
    d, n = _dims(dim)
    return _new(lib.snn_tensor_mean, input._h, d, n, keepdim)
