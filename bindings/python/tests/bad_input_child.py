"""Child process of test_bad_input.py: calls C functions with bad arguments, built generically
from their ctypes argument types and the header's parameter types, names and constness (both
from the generated swiftnn/_ffi.py: FUNCTIONS and DECLARATIONS), and prints
one JSON object per line: {"ev": "call"} before each call (so a crash names its call), then
"result", a "problem" for each broken promise, and "done" per function.

    python bad_input_child.py snn_tensor_add snn_tensor_sum:17 snn_x:40:label ...
    (":N" resumes at call N; ":label" names the baseline chosen before the resume)

For each function it first looks for a valid baseline call. Arguments come from parameter
names (shape -> [3, 3], ndim -> 2, dims -> [0, 1], count -> 9, capacity -> 64, dim -> -1,
other sizes 3, floats 0.5, tensors [3, 3] float32 in several flavours), handles of other
types (snn_module, snn_optimizer, ...) from a constructor found in the tables (a function
whose first parameter is `snn_X **`), option structs with struct_size set and fields filled
by name. It then changes one argument at a time to something bad, passes tensors of awkward
shapes (scalar, empty, rank 16) and mismatched pairs. The promises checked for every call:
  - the process survives (the parent notices crashes and hangs);
  - the status is a known code and not SNN_ERR_INTERNAL;
  - a failure leaves a new, non-empty snn_last_error() naming the function;
  - a freed, garbage or wrong-type handle fails (with SNN_ERR_INVALID_HANDLE when the
    baseline succeeded); NULL for an out handle or for the first (result) parameter gives
    SNN_ERR_INVALID_ARGUMENT, for a secondary output SNN_ERR_INVALID_ARGUMENT or SNN_OK; NULL
    for a handle is not SNN_ERR_INVALID_HANDLE;
  - a failure sets every (single) out handle to NULL and returns no handle; the live-handle count
    changes by exactly the handles returned minus those the call released, and is back where
    it was once everything is freed; backward through every returned tensor that requires
    grad works;
  - after each function, the live-handle count is back where it started.
"""
import atexit
import ctypes
import importlib
import json
import math
import os
import re
import resource
import shutil
import sys
import tempfile
from collections import namedtuple

# The package under test comes from PYTHONPATH (set by test_bad_input.py).
_ffi = importlib.import_module("swiftnn._ffi")

# Big enough for the Swift runtime, OpenBLAS and numpy; small enough that a valid request for
# a huge tensor fails with SNN_ERR_OUT_OF_MEMORY instead of paging the machine to death.
ADDRESS_SPACE_LIMIT = 6 << 30

SLOTS = 64           # elements of every buffer passed for a pointer parameter
CHAR_SLOTS = 4096    # bytes of every char buffer (its capacity parameter still says 64)
HANDLE_SLOTS = 17    # filled slots of a handle array (a count of 16 still reads live handles)
POISON = 0x5151      # prefilled into out-handle slots: a failure must overwrite it with NULL
GARBAGE = (0x1234, 0xDEADBEEF0)
TENSOR = "snn_tensor"

OK, INVALID_ARGUMENT, INVALID_HANDLE, INTERNAL = (_ffi.SNN_OK, _ffi.SNN_ERR_INVALID_ARGUMENT,
                                                  _ffi.SNN_ERR_INVALID_HANDLE, _ffi.SNN_ERR_INTERNAL)
# The statuses a call may return: every code the header defines except SNN_ERR_INTERNAL (a bug).
KNOWN_STATUSES = frozenset(_ffi.STATUS.values()) - {INTERNAL}

# One parameter as the header declares it. type: the declaration without the name ("const
# int64_t *"); const: the pointee is const (an input), so a non-const pointer is an output.
Param = namedtuple("Param", "type name const")

HANDLE, HANDLES, OUT_HANDLE, IN_BUF, OUT_BUF, OUT_CHARS, STRUCT, CSTR, CALLBACK = (
    "handle", "handles", "out_handle", "in_buf", "out_buf", "out_chars", "struct", "cstr", "callback")
SIZE, I64, I32, U64, F32, F64, BOOL, ENUM, UNKNOWN = (
    "size", "i64", "i32", "u64", "f32", "f64", "bool", "enum", "unknown")

# Tensor shapes that break assumptions: scalar, empty, rank 16, broadcastable, mismatched.
POOL = [(2, 3), (4,), (), (0,), (0, 3), (1,) * 16, (2, 1, 3), (3, 1)]
PAIRS = [((2, 3), (4,)), ((4,), (2, 3)), ((2, 3), (3, 2)), ((), (0,)), ((3,), (3,)),
         ((2, 3, 4), (4, 2)), ((1,) * 16, (2,))]

BIG_SIZES = [0, 1, 16, 17, 2**32, 2**62, 2**63, 2**64 - 1]
BAD_INTS64 = [-1, 0, 2, 17, -17, 2**31, 2**62, -2**63, 2**63 - 1]
BAD_INTS32 = [-1, 0, 2, 17, -2**31, 2**31 - 1]
BAD_SHAPE_ENTRIES = [-1, 0, 1, 17, 2**20, 2**40, 2**62, -2**63, 2**63 - 1]


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


class Fixture(Exception):
    """An argument the harness needs could not be made (reported, not a crash)."""


# ---- parameters --------------------------------------------------------------------------

def _base(ctext):
    return " ".join(w for w in ctext.replace("*", " ").split() if w != "const")


class P:
    """One parameter: its ctypes type, and what the header says about it."""

    def __init__(self, index, ctype, decl, nxt):
        self.index, self.ctype = index, ctype
        self.name = (decl.name if decl else "") or f"arg{index}"
        self.ctext = decl.type if decl else ""
        base = _base(self.ctext)
        self.htype = base if base.startswith("snn_") else TENSOR  # the handle type, if a handle
        self.kind, self.elem = classify(ctype, decl, index)
        # `snn_tensor **outs, size_t capacity`: an array of outputs, not a single out handle.
        self.array = self.kind == OUT_HANDLE and nxt is not None and nxt[1] is not None and \
            _base(nxt[1].type) == "size_t"
        self.prev_kind = None  # set by make_params


def classify(ctype, decl, index):
    base = _base(decl.type) if decl else ""
    out = ("const" not in decl.type) if decl else index == 0
    if base == "void" and decl.type.count("*") in (1, 2):
        # Raw memory, not a handle: `void *data` a byte buffer, `void **out` a pointer result.
        if decl.type.count("*") == 2:
            return OUT_BUF, ctypes.c_void_p
        return (OUT_BUF if out else IN_BUF), ctypes.c_ubyte
    if ctype is ctypes.c_void_p:
        return HANDLE, None
    if ctype is ctypes.c_char_p:
        return (OUT_CHARS if decl and out and "*" in decl.type else CSTR), None
    if ctype is ctypes.c_bool:
        return BOOL, None
    if ctype is ctypes.c_float:
        return F32, None
    if ctype is ctypes.c_double:
        return F64, None
    if isinstance(ctype, type) and issubclass(ctype, ctypes._Pointer):
        pointee = ctype._type_
        if pointee is ctypes.c_void_p:
            return (OUT_HANDLE if out else HANDLES), None
        if isinstance(pointee, type) and issubclass(pointee, ctypes.Structure):
            return STRUCT, pointee
        if pointee is ctypes.c_char and out:
            return OUT_CHARS, None
        return (OUT_BUF if out else IN_BUF), pointee
    if isinstance(ctype, type) and issubclass(ctype, ctypes._CFuncPtr):
        return CALLBACK, None
    if isinstance(ctype, type) and issubclass(ctype, ctypes._SimpleCData) and ctype._type_ in "bBhHiIlLqQ":
        by_header = {"size_t": SIZE, "int64_t": I64, "uint64_t": U64, "int32_t": I32, "int": I32,
                     "uint32_t": U64, "long": I64, "unsigned": U64}
        if base in by_header:
            return by_header[base], None
        if base.startswith("snn_"):
            return ENUM, None
        if ctype is ctypes.c_size_t:
            return SIZE, None
        return (I64 if ctypes.sizeof(ctype) == 8 else I32), None
    return UNKNOWN, None


def is_int_type(t):
    return isinstance(t, type) and issubclass(t, ctypes._SimpleCData) and t._type_ in "bBhHiIlLqQ"


def int_default(name, kind):
    """A valid integer for a parameter (or option field) called `name`."""
    n = name.lower()
    if "ndim" in n or "rank" in n:
        return 2
    if "count" in n or n in ("numel", "len", "length"):
        return 9
    if "capacity" in n or n.endswith("cap"):
        return SLOTS
    if n in ("dim0", "start") or n.endswith("idx") or n.endswith("index"):
        return 0
    if (n in ("dim", "dim1", "axis") or n.startswith("dim_")) and kind in (I64, I32):
        return -1
    if n in ("end", "stop"):
        return 2
    if "seed" in n:
        return 1
    return 3  # matches the [3, 3] tensors: features, classes, batch sizes, kernel sizes


def float_default(name):
    return {"start": 0.0, "end": 5.0, "stop": 5.0, "step": 1.0, "lr": 0.01}.get(name.lower(), 0.5)


# ---- argument specs: descriptions of values, materialised fresh for every call -----------
# ("tensor", shape, dtype, flavour)  flavour: plain | grad (leaf requiring grad) | nonleaf
# ("object", type) a handle made by a constructor of `type`; ("other_type", type) a live
# handle of another type; ("null",) ("freed", type) ("garbage", value)
# ("handles", element spec) ("out_handle",) ("buf", contents) ("out_buf",) ("out_chars",)
# ("val", value) ("struct", {field: value})

def describe(spec):
    kind = spec[0]
    if kind == "tensor":
        _, shape, dtype, flavour = spec
        extra = {"plain": "", "grad": " requires_grad", "nonleaf": " non-leaf"}[flavour]
        return f"{'float32' if dtype == 'f32' else 'int64'}{list(shape)}{extra}"
    if kind == "object":
        return f"a new {spec[1]}"
    if kind == "other_type":
        return f"a live handle that is not a {spec[1]}"
    if kind == "null":
        return "NULL"
    if kind == "freed":
        return f"a freed {spec[1]}"
    if kind == "garbage":
        return f"garbage handle {spec[1]:#x}"
    if kind == "handles":
        return f"[{describe(spec[1])}, ...]"
    if kind == "out_handle":
        return "&out"
    if kind == "buf":
        c = spec[1]
        return "{" + ", ".join(map(repr, c[:4])) + (", ...}" if len(c) > 4 else "}")
    if kind in ("out_buf", "out_chars"):
        return f"buffer[{CHAR_SLOTS if kind == 'out_chars' else SLOTS}]"
    if kind == "val":
        v = spec[1]
        return repr(v[:40] + b"..." if isinstance(v, bytes) and len(v) > 40 else v)
    if kind == "struct":
        return "&{defaults" + "".join(f", {k}={v}" for k, v in spec[1].items()) + "}"
    return repr(spec)


def default_spec(p, tensor, struct_mode="named"):
    """A valid value for p, chosen from its kind and name; `tensor` is the tensor spec."""
    n = p.name.lower()
    if p.kind in (HANDLE, HANDLES):
        one = tensor if p.htype == TENSOR else ("object", p.htype)
        return one if p.kind == HANDLE else ("handles", one)
    if p.kind == OUT_HANDLE:
        return ("out_handle",)
    if p.kind == OUT_BUF:
        return ("out_buf",)
    if p.kind == OUT_CHARS:
        return ("out_chars",)
    if p.kind == IN_BUF:
        if p.elem in (ctypes.c_float, ctypes.c_double):
            return ("buf", [(i % 7) * 0.5 - 1.25 for i in range(SLOTS)])
        if p.elem is ctypes.c_char_p:  # an array of strings (names)
            return ("buf", [f"n{i}".encode() for i in range(SLOTS)])
        if not is_int_type(p.elem):
            return ("out_buf",)  # zeros: never invent pointer values
        if "shape" in n or "size" in n:
            return ("buf", [3, 3] + [1] * (SLOTS - 2))
        if "dim" in n or "axes" in n or "axis" in n or "perm" in n:
            return ("buf", [0, 1] + [1] * (SLOTS - 2))
        return ("buf", [i % 3 for i in range(SLOTS)])
    if p.kind == SIZE and p.prev_kind == OUT_CHARS:
        return ("val", CHAR_SLOTS)  # the capacity of a char buffer: room for JSON and tables
    if p.kind in (SIZE, I64, I32, U64):
        return ("val", int_default(p.name, p.kind))
    if p.kind in (F32, F64):
        return ("val", float_default(n))
    if p.kind == BOOL:
        return ("val", False)
    if p.kind == ENUM:
        return ("val", 0)
    if p.kind == CSTR:
        return ("val", os.path.join(TMP, "file.bin").encode())
    if p.kind == STRUCT:
        return ("struct", {}, struct_mode)
    return ("null",)


def mutations(p):
    """(label, spec, promise) triples: one bad (or edge) value for p at a time. promise names a
    stricter expectation than "no crash, a clear message"."""
    out = []
    if p.kind == HANDLE:
        out += [("NULL", ("null",), "null_handle"), ("freed", ("freed", p.htype), "bad_handle")]
        out += [(f"{g:#x}", ("garbage", g), "bad_handle") for g in GARBAGE]
        out += [("another type", ("other_type", p.htype), "bad_handle")]
        if p.htype == TENSOR:
            out += [("int64", ("tensor", (3, 3), "i64", "plain"), None)]
            out += [(f"float32{list(s)}", ("tensor", s, "f32", "plain"), None) for s in POOL]
            out += [("non-leaf", ("tensor", (3, 3), "f32", "nonleaf"), None),
                    ("requires_grad", ("tensor", (3, 3), "f32", "grad"), None)]
    elif p.kind == HANDLES:
        out += [("NULL", ("null",), None), ("freed", ("handles", ("freed", p.htype)), "bad_handle")]
        out += [(f"{g:#x}", ("handles", ("garbage", g)), "bad_handle") for g in GARBAGE]
        out += [("another type", ("handles", ("other_type", p.htype)), "bad_handle"),
                ("NULL entries", ("handles", ("null",)), None)]
        if p.htype == TENSOR:
            out += [("int64", ("handles", ("tensor", (3, 3), "i64", "plain")), None)]
            out += [(f"float32{list(s)}", ("handles", ("tensor", s, "f32", "plain")), None) for s in POOL]
    elif p.kind in (OUT_HANDLE, OUT_BUF, OUT_CHARS):
        # An out handle or the first parameter (the result) is required; a secondary output
        # (`size_t *out_len`) may be optional: NULL there is SNN_OK or an invalid argument.
        out += [("NULL", ("null",), "null_out" if p.kind == OUT_HANDLE or p.index == 0 else "null_opt_out")]
    elif p.kind == IN_BUF:
        out += [("NULL", ("null",), None)]
        if p.elem in (ctypes.c_float, ctypes.c_double):
            out += [(f"all {v}", ("buf", [v] * SLOTS), None) for v in (math.nan, math.inf)]
        elif p.elem is ctypes.c_char_p:
            out += [("NULL entries", ("buf", [None] * SLOTS), None), ('all ""', ("buf", [b""] * SLOTS), None),
                    ("duplicates", ("buf", [b"x"] * SLOTS), None),
                    ("invalid UTF-8", ("buf", [b"\xff\xfe"] * SLOTS), None),
                    ("10000 chars", ("buf", [b"a" * 10000] * SLOTS), None)]
        elif is_int_type(p.elem) and ctypes.sizeof(p.elem) >= 4:
            out += [(f"all {v}", ("buf", [v] * SLOTS), None) for v in BAD_SHAPE_ENTRIES]
            out += [("[2**40, 2**40, ...]", ("buf", [2**40, 2**40, 2**40] + [1] * (SLOTS - 3)), None)]
    elif p.kind == SIZE:
        out += [(str(v), ("val", v), None) for v in BIG_SIZES]
    elif p.kind == I64:
        out += [(str(v), ("val", v), None) for v in BAD_INTS64]
    elif p.kind in (I32, ENUM):
        out += [(str(v), ("val", v), None) for v in BAD_INTS32 + ([1, 99] if p.kind == ENUM else [])]
    elif p.kind == U64:
        out += [(str(v), ("val", v), None) for v in (0, 2**64 - 1)]
    elif p.kind in (F32, F64):
        big = 3e38 if p.kind == F32 else 1e308
        out += [(str(v), ("val", v), None) for v in (0.0, -1.0, math.nan, math.inf, -math.inf, big, -big, 5e-324)]
    elif p.kind == BOOL:
        out += [("true", ("val", True), None)]
    elif p.kind == CSTR:
        out += [("NULL", ("val", None), None), ('""', ("val", b""), None),
                ("missing directory", ("val", b"/nonexistent-dir/x/y"), None),
                ("a directory", ("val", b"/"), None), ("invalid UTF-8", ("val", b"\xff\xfe"), None),
                ("10000 chars", ("val", b"a" * 10000), None)]
    elif p.kind == STRUCT:
        out += [("NULL", ("null",), None), ("struct_size 0", ("struct", {"struct_size": 0}), None),
                ("struct_size 2**30", ("struct", {"struct_size": 2**30}), None)]
        for fname, ftype in getattr(p.elem, "_fields_", []):
            if fname == "struct_size" or not issubclass(ftype, ctypes._SimpleCData):
                continue
            if ftype in (ctypes.c_float, ctypes.c_double):
                vals = [-1.0, math.nan, math.inf]
            elif ftype is ctypes.c_bool:
                vals = [True]
            elif ftype._type_ in "bBhHiIlLqQ":
                signed = ftype._type_ in "bhilq"
                vals = [0, 2**62 if ctypes.sizeof(ftype) == 8 else 2**31 - 1] + ([-1] if signed else [])
            else:
                continue
            out += [(f"{fname}={v}", ("struct", {fname: v}), None) for v in vals]
    return out


# ---- calling -------------------------------------------------------------------------------

class Runner:
    def __init__(self, lib, sigs, decls):
        self.lib, self.sigs, self.decls = lib, sigs, decls
        self.recipes = {}  # handle type -> (constructor, specs) or None

    def status(self, name, *args):
        return getattr(self.lib, name)(*args)

    def live(self):
        n = ctypes.c_int64(-1)
        self.status("snn_live_handles", ctypes.byref(n))
        return n.value

    def last_error(self):
        return (self.lib.snn_last_error() or b"").decode("utf-8", "replace")

    def free(self, h, htype):
        """Frees h with its type's _free (any _free if unsure); returns the status."""
        fn = f"{htype}_free"
        st = self.status(fn, h) if fn in self.sigs else INVALID_HANDLE
        if st == INVALID_HANDLE:
            for other in sorted(n for n in self.sigs if n.endswith("_free") and n != fn):
                if self.status(other, h) == OK:
                    return OK
        return st

    def requires_grad(self, h):
        b = ctypes.c_bool(False)
        return self.status("snn_tensor_requires_grad", ctypes.byref(b), h) == OK and b.value

    def shape_of(self, h):
        n = ctypes.c_size_t()
        if self.status("snn_tensor_ndim", ctypes.byref(n), h) != OK:
            return None
        buf = (ctypes.c_int64 * SLOTS)()
        if self.status("snn_tensor_shape", buf, SLOTS, h) != OK:
            return None
        return list(buf[: n.value])

    def tensor(self, shape, dtype, flavour, created):
        count = math.prod(shape)
        sh = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        out = ctypes.c_void_p()
        if dtype == "f32":
            data = (ctypes.c_float * max(count, 1))(*[(i % 7) * 0.5 - 1.25 for i in range(count)])
            st = self.status("snn_tensor_from_data", ctypes.byref(out), data, count, sh, len(shape))
        else:
            data = (ctypes.c_int64 * max(count, 1))(*[i % 3 for i in range(count)])
            st = self.status("snn_tensor_from_int64", ctypes.byref(out), data, count, sh, len(shape))
        if st != OK:
            raise Fixture(f"cannot create a {dtype}{list(shape)} tensor: {self.last_error()}")
        h = out.value
        if flavour in ("grad", "nonleaf"):
            if self.status("snn_tensor_set_requires_grad", h, True) != OK:
                self.free(h, TENSOR)
                raise Fixture(f"cannot mark a tensor as requiring grad: {self.last_error()}")
        if flavour == "nonleaf":
            y = ctypes.c_void_p()
            st = self.status("snn_tensor_mul", ctypes.byref(y), h, h)
            self.free(h, TENSOR)
            if st != OK:
                raise Fixture(f"cannot make a non-leaf tensor: {self.last_error()}")
            h = y.value
        created.append((h, TENSOR))
        return h

    # Handles of other types come from constructors: functions whose first parameter is
    # `snn_X **`, called with their own baseline arguments.
    def make_object(self, htype, created, depth=0):
        if htype not in self.recipes:
            self.recipes[htype] = None
            if depth < 3:
                self.recipes[htype] = self._find_recipe(htype, depth)
        recipe = self.recipes[htype]
        if recipe is None:
            return None
        fn, params, specs = recipe
        h, st = self._construct(fn, params, specs, depth)
        if h is None:
            raise Fixture(f"{fn} failed this time ({st}): {self.last_error()}")
        created.append((h, htype))
        return h

    def _find_recipe(self, htype, depth):
        ctors = []
        for fn, arg_ctypes in self.sigs.items():
            d = self.decls.get(fn)
            if d and d and len(d) == len(arg_ctypes) and d[0].type.replace(" ", "") == htype + "**" \
                    and not any(_base(q.type) == htype for q in d[1:]):
                ctors.append(fn)
        ctors.sort(key=lambda f: (not f.endswith("_new"), f))
        for fn in ctors:
            params = make_params(self.sigs[fn], self.decls.get(fn))
            for _, specs in baseline_candidates(params):
                h, _ = self._construct(fn, params, specs, depth)
                if h is not None:
                    self.free(h, htype)
                    return fn, params, specs
        return None

    def _construct(self, fn, params, specs, depth):
        created, outs = [], []
        try:
            args = [self.value(p, s, created, outs, depth + 1) for p, s in zip(params, specs)]
            st = getattr(self.lib, fn)(*args)
            h = outs[0][0] if st == OK and outs and outs[0][0] not in (None, 0, POISON) else None
            return h, st
        except Fixture as e:
            return None, str(e)
        finally:
            for h, t in created:
                self.free(h, t)

    def value(self, p, spec, created, outs, depth=0):
        kind = spec[0]
        if kind == "tensor":
            return self.tensor(spec[1], spec[2], spec[3], created)
        if kind == "object":
            h = self.make_object(spec[1], created, depth)
            if h is None:  # no constructor works: a tensor stands in (the call fails)
                return self.tensor((3, 3), "f32", "plain", created)
            return h
        if kind == "other_type":
            if spec[1] != TENSOR:
                return self.tensor((2,), "f32", "plain", created)
            for t in sorted(self.handle_types() - {TENSOR}):
                try:
                    h = self.make_object(t, created, depth)
                except Fixture:
                    continue
                if h is not None:
                    return h
            return GARBAGE[0]  # only tensors exist: a garbage handle stands in
        if kind == "null":
            return p.ctype() if p.kind == CALLBACK else None  # a NULL function pointer
        if kind == "freed":
            tmp = []
            h = self.value(p, ("object", spec[1]) if spec[1] != TENSOR else ("tensor", (2,), "f32", "plain"), tmp, outs, depth)
            for x, t in tmp:
                self.free(x, t)
            return h
        if kind == "garbage":
            return spec[1]
        if kind == "handles":
            arr = (ctypes.c_void_p * SLOTS)()
            for i in range(HANDLE_SLOTS):
                arr[i] = self.value(p, spec[1], created, outs, depth)
            return arr
        if kind == "out_handle":
            arr = (ctypes.c_void_p * SLOTS)()
            arr[0] = POISON
            outs.append(arr)
            return arr
        if kind == "buf":
            values = spec[1]
            if is_int_type(p.elem):  # wrap to the element's width, as C would
                bits = 8 * ctypes.sizeof(p.elem)
                signed = p.elem._type_ in "bhilq"
                values = [((v + (1 << (bits - 1))) % (1 << bits)) - (1 << (bits - 1)) if signed else v % (1 << bits)
                          for v in values]
            return (p.elem * SLOTS)(*values)
        if kind == "out_buf":
            return (p.elem * SLOTS)()
        if kind == "out_chars":
            return ctypes.create_string_buffer(CHAR_SLOTS)
        if kind == "val":
            return spec[1]
        if kind == "struct":
            return ctypes.pointer(self.options(p, spec[1], spec[2] if len(spec) > 2 else "named"))
        raise ValueError(spec)

    def options(self, p, overrides, mode):
        """An option struct. "named": every number from its field's name (sizes 3, floats 0.5).
        "init": the library's <struct>_init defaults, with sizes it leaves 0 set to 3."""
        s = p.elem()
        fields = dict(p.elem._fields_)
        init = f"{_base(p.ctext)}_init"
        if mode == "init" and init in self.sigs:
            self.status(init, ctypes.byref(s))
            for fname, ftype in fields.items():
                if fname != "struct_size" and is_int_type(ftype) and ctypes.sizeof(ftype) == 8 and getattr(s, fname) == 0:
                    setattr(s, fname, int_default(fname, I64))
        else:
            for fname, ftype in fields.items():
                if ftype in (ctypes.c_float, ctypes.c_double):
                    setattr(s, fname, float_default(fname))
                elif is_int_type(ftype) and (mode == "named" or ctypes.sizeof(ftype) == 8):
                    setattr(s, fname, int_default(fname, I64))
        if "struct_size" in fields:
            s.struct_size = ctypes.sizeof(p.elem)
        for k, v in overrides.items():
            setattr(s, k, v)
        return s

    def handle_types(self):
        types = set()
        for d in self.decls.values():
            for q in d:
                if _base(q.type).startswith("snn_") and "*" in q.type:
                    types.add(_base(q.type))
        return types & {t for t in types if f"{t}_free" in self.sigs}


def names_function(msg, fn):
    """Whether msg names a function: fn's C name, or an op's name leading the message ("add:
    shapes ...", "requires_grad_: ...", "CosineAnnealingLR: ..."), as the boundary ensures."""
    if fn in msg:
        return True
    lead = msg.split(":", 1)[0] if ":" in msg else ""
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", lead))


def restore_grad_mode(r):
    on = ctypes.c_bool(True)
    for _ in range(1000):
        if r.status("snn_is_grad_enabled", ctypes.byref(on)) != OK or on.value:
            return
        r.status("snn_no_grad_end")


def set_sentinel(r, fn):
    """Leaves a known message behind, so a failure that sets none is noticed."""
    if fn != "snn_set_num_threads":
        r.status("snn_set_num_threads", 0)
    else:
        r.status("snn_tensor_free", GARBAGE[0])
    return r.last_error()


_last_message = [""]  # of the latest call, for the "result" event (a debugging aid)


def run_call(r, fn, params, specs, promise, baseline_ok):
    """One call; returns (status, problems)."""
    created, outs = [], []
    live0 = r.live()
    try:
        args = [r.value(p, s, created, outs) for p, s in zip(params, specs)]
        return _run_call(r, fn, params, args, created, outs, promise, baseline_ok, live0)
    finally:
        for h, t in created:
            r.free(h, t)
        restore_grad_mode(r)


def _run_call(r, fn, params, args, created, outs, promise, baseline_ok, live0):
    problems = []
    known = {h for h, _ in created}
    rg_inputs = any(t == TENSOR and r.requires_grad(h) for h, t in created)
    out_arrays = [(p, a) for p, a in zip(params, args) if p.kind == OUT_HANDLE and a is not None]
    sentinel = set_sentinel(r, fn)
    before = r.live()
    st = getattr(r.lib, fn)(*args)
    msg = r.last_error()
    _last_message[0] = msg
    after = r.live()
    new = []  # (handle, type)
    for p, arr in out_arrays:
        for i in range(SLOTS):
            v = arr[i]
            if v and v != POISON and v not in known and v not in [h for h, _ in new]:
                new.append((v, p.htype))

    if st not in KNOWN_STATUSES:
        problems.append(f"returned status {st}" + (" (SNN_ERR_INTERNAL: a bug)" if st == INTERNAL else
                                                    " (not a known snn_status)") + f": {msg!r}")
    if st != OK:
        if not msg:
            problems.append(f"failed with status {st} but snn_last_error() is empty")
        elif msg == sentinel:
            problems.append(f"failed with status {st} but left snn_last_error() unchanged")
        elif not names_function(msg, fn):
            problems.append(f"message does not name the function: {msg!r}")
        # Every out handle is NULL after a failure, unless the failure was another NULL out
        # pointer (then the call could not even start).
        null_out = any(p.kind in (OUT_HANDLE, OUT_BUF, OUT_CHARS) and a is None for p, a in zip(params, args))
        for p, arr in out_arrays:
            if not p.array and not null_out and arr[0] is not None and arr[0] != 0:
                problems.append(f"failed (status {st}) but left out handle {p.name} set to {arr[0]:#x}, not NULL")
        if new:
            problems.append(f"failed (status {st}) but returned {len(new)} handle(s)")
    if promise == "bad_handle" and (st == OK or (baseline_ok and st != INVALID_HANDLE)):
        problems.append(f"a freed/garbage/wrong-type handle gave status {st}, expected SNN_ERR_INVALID_HANDLE (2)")
    if promise == "null_out" and baseline_ok and st != INVALID_ARGUMENT:
        problems.append(f"a NULL out-pointer gave status {st}, expected SNN_ERR_INVALID_ARGUMENT (1)")
    if promise == "null_opt_out" and baseline_ok and st not in (OK, INVALID_ARGUMENT):
        problems.append(f"a NULL out-pointer gave status {st}, expected SNN_ERR_INVALID_ARGUMENT (1) "
                        "(or SNN_OK if it is optional)")
    if promise == "null_handle" and baseline_ok and st == INVALID_HANDLE:
        problems.append("a NULL handle gave SNN_ERR_INVALID_HANDLE; NULL is SNN_ERR_INVALID_ARGUMENT where a "
                        "handle is required (or valid, where it is optional)")

    # Every result that requires grad must take a backward pass (edge shapes included).
    if st == OK and rg_inputs:
        for h, t in new:
            if t != TENSOR or not r.requires_grad(h):
                continue
            shape = r.shape_of(h)
            g = ctypes.c_void_p()
            sh = (ctypes.c_int64 * SLOTS)(*shape)
            if r.status("snn_tensor_ones", ctypes.byref(g), sh, len(shape)) != OK:
                problems.append(f"could not make a gradient of shape {shape}: {r.last_error()}")
                continue
            bst = r.status("snn_tensor_backward", h, g, False)
            if bst != OK:
                problems.append(f"backward through the result (shape {shape}) failed with status {bst}: "
                                f"{r.last_error()!r}")
            r.free(g.value, TENSOR)
    for h, t in new:
        fst = r.free(h, t)
        if fst != OK:
            problems.append(f"freeing a returned {t} handle gave status {fst}: {r.last_error()!r}")
    consumed = 0
    for h, t in created:
        if r.free(h, t) == INVALID_HANDLE:
            consumed += 1  # the call released it (a _free), or it was never live
    created.clear()
    if after - before != len(new) - consumed:
        problems.append(f"live handles went from {before} to {after}, but the call returned {len(new)} "
                        f"new handle(s) and released {consumed} (a leak, or a handle nobody can free)")
    restore_grad_mode(r)
    live1 = r.live()
    if live1 != live0:
        problems.append(f"{live1 - live0} handle(s) still live after freeing everything the call returned "
                        "(registered but never handed out?)")
    return st, problems


# ---- one function ------------------------------------------------------------------------

def make_params(arg_ctypes, decl):
    if decl is not None and len(decl) != len(arg_ctypes):
        decl = None
    params = [P(i, t, decl[i] if decl else None,
                (arg_ctypes[i + 1], decl[i + 1] if decl else None) if i + 1 < len(arg_ctypes) else None)
              for i, t in enumerate(arg_ctypes)]
    for a, b in zip(params, params[1:]):
        b.prev_kind = a.kind
    return params


def tensor_indices(params):
    return [i for i, p in enumerate(params) if p.kind in (HANDLE, HANDLES) and p.htype == TENSOR]


def baseline_candidates(params):
    """(label, specs): candidate baselines, differing in how tensor parameters are filled."""
    tidx = tensor_indices(params)
    f = lambda s=(3, 3), fl="plain": ("tensor", s, "f32", fl)  # noqa: E731
    variants = [
        ("float32[3, 3]", lambda i: f()),
        ("float32[3, 3] requires_grad", lambda i: f(fl="grad")),
        ("first non-leaf", lambda i: f(fl="nonleaf") if i == 0 else f(fl="grad")),
        ("scalars", lambda i: f(())),
        ("first a non-leaf scalar", lambda i: f((), "nonleaf") if i == 0 else f(fl="grad")),
        ("int64[3, 3]", lambda i: ("tensor", (3, 3), "i64", "plain")),
        ("float32[3, 3] then int64[3]", lambda i: f() if i == 0 else ("tensor", (3,), "i64", "plain")),
    ] if tidx else [("no tensor arguments", lambda i: None)]
    modes = [("", "named")]
    if any(p.kind == STRUCT for p in params):
        modes.append((", options from <struct>_init", "init"))
    return [(label + mlabel, [default_spec(p, tv(tidx.index(i)) if i in tidx else None, mode)
                              for i, p in enumerate(params)])
            for mlabel, mode in modes for label, tv in variants]


def run_function(r, fn, arg_ctypes, decl, start, base_label=None):
    """Calls fn with every combination, numbered from 0 (baseline candidates first); calls
    before `start` are skipped. `base_label` (on a resume) names the baseline already chosen."""
    if decl is not None and len(decl) != len(arg_ctypes):
        emit(ev="problem", fn=fn, i=-1, desc="signature",
             what=f"the header declares {len(decl)} parameters, _ffi.FUNCTIONS has {len(arg_ctypes)}")
    params = make_params(arg_ctypes, decl)
    tidx = tensor_indices(params)

    def args_desc(specs):
        return ", ".join(f"{p.name}={describe(s)}" for p, s in zip(params, specs))

    def as_arg(i, t):
        return t if params[i].kind == HANDLE else ("handles", t)

    live0 = r.live()
    cands = baseline_candidates(params)
    base, base_ok = None, False
    if base_label is not None:
        found = [specs for label, specs in cands if label == base_label]
        base, base_ok = (found[0], True) if found else (cands[0][1], False)
    else:
        for i, (label, specs) in enumerate(cands):
            if i < start or base is not None:
                continue
            st = call(r, fn, i, f"baseline candidate ({label}): {args_desc(specs)}", params, specs, None, False)
            if st == OK:
                base, base_ok, base_label = specs, True, label
        if base is None:
            base = cands[0][1]
    emit(ev="baseline", fn=fn, ok=base_ok, label=base_label if base_ok else "none")

    # Then one change at a time relative to the baseline.
    calls = []
    for pi, p in enumerate(params):
        for label, spec, promise in mutations(p):
            specs = list(base)
            if spec[0] == "struct" and base[pi][0] == "struct":
                spec = ("struct", spec[1], base[pi][2])  # a change to the baseline's options
            specs[pi] = spec
            calls.append((f"{p.name}={label}", specs, promise))
    if tidx:
        pool = [("tensor", s, "f32", fl) for s in POOL for fl in ("plain", "grad")]
        for t in pool + [("tensor", (3, 3), "i64", "plain")]:
            specs = list(base)
            for i in tidx:
                specs[i] = as_arg(i, t)
            calls.append((f"every tensor argument {describe(t)}", specs, None))
    if len(tidx) >= 2:
        for s1, s2 in PAIRS:
            for fl in ("plain", "grad"):
                t1, t2 = ("tensor", s1, "f32", fl), ("tensor", s2, "f32", fl)
                specs = list(base)
                specs[tidx[0]], specs[tidx[1]] = as_arg(tidx[0], t1), as_arg(tidx[1], t2)
                calls.append((f"{params[tidx[0]].name}={describe(t1)}, {params[tidx[1]].name}={describe(t2)}",
                              specs, None))
    for j, (what, specs, promise) in enumerate(calls):
        i = len(cands) + j
        if i >= start:
            call(r, fn, i, f"{what}   [all: {args_desc(specs)}]", params, specs, promise, base_ok)
    live1 = r.live()
    if start == 0 and live1 != live0:
        emit(ev="problem", fn=fn, i=len(cands) + len(calls), desc="after all calls",
             what=f"live handles {live0} before the calls and {live1} after (leak)")
    emit(ev="done", fn=fn, calls=len(cands) + len(calls))


def call(r, fn, i, desc, params, specs, promise, base_ok):
    emit(ev="call", fn=fn, i=i, desc=desc)
    try:
        st, problems = run_call(r, fn, params, specs, promise, base_ok)
    except Fixture as e:
        st, problems = None, [f"harness: {e}"]
    emit(ev="result", fn=fn, i=i, status=st, message=_last_message[0] if st else "")
    for what in problems:
        emit(ev="problem", fn=fn, i=i, desc=desc, what=what)
    return st


TMP = None


def main(argv):
    limit = int(os.environ.get("SNN_BAD_INPUT_AS_LIMIT", ADDRESS_SPACE_LIMIT))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    global TMP
    TMP = tempfile.mkdtemp(prefix="snn-bad-input-")
    atexit.register(shutil.rmtree, TMP, True)  # (a crash leaves it behind, in /tmp)
    os.chdir(TMP)  # anything a function writes with a relative path lands here
    _lib = importlib.import_module("swiftnn._lib")  # the module (swiftnn._lib is the CDLL)
    # The functions that return snn_status (the ones test_bad_input.py passes).
    sigs = {name: arg_ctypes for name, (_, arg_ctypes) in _ffi.FUNCTIONS.items()
            if _ffi.DECLARATIONS[name][0] == "snn_status"}
    decls = {name: [Param(ctext, pname, ctext.startswith("const")) for ctext, pname in params]
             for name, (_, params) in _ffi.DECLARATIONS.items()}
    r = Runner(_lib.lib, sigs, decls)
    for item in argv:  # fn[:start[:baseline label]]
        fn, start, label = (item.split(":", 2) + ["", ""])[:3]
        run_function(r, fn, sigs[fn], decls.get(fn), int(start or 0), label or None)


if __name__ == "__main__":
    main(sys.argv[1:])
