"""The binding, the library and the header agree: every exported snn_ symbol is declared in
the header and has argtypes in a SIGNATURES table (or _lib.RAW_SIGNATURES), every declared
function is exported, the argtypes match the header's parameter types, and the binding
refuses a library with another ABI version with a message naming both versions."""
import ctypes
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
import textwrap

import pytest

import cheader

_lib = importlib.import_module("swiftnn._lib")  # the module; swiftnn._lib is the CDLL
_c = importlib.import_module("swiftnn._c")


def signatures():
    sigs = {}
    for mod in pkgutil.iter_modules(_c.__path__):
        table = importlib.import_module(f"{_c.__name__}.{mod.name}").SIGNATURES
        dup = set(sigs) & set(table)
        assert not dup, f"swiftnn/_c/{mod.name}.py declares {sorted(dup)} again"
        sigs.update(table)
    return sigs


def exported_symbols():
    if not shutil.which("nm"):
        pytest.skip("nm not found")
    out = subprocess.run(["nm", "-D", "--defined-only", _lib.path], capture_output=True, text=True, check=True)
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWDdBbRrVi" and parts[2].startswith("snn_"):
            names.add(parts[2].split("@")[0])
    return names


def _env():
    env = dict(os.environ)
    # The directory holding the swiftnn package under test (in-tree or installed).
    pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_c.__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in [pkg_root, env.get("PYTHONPATH")] if p)
    return env


def test_every_export_has_argtypes_and_every_signature_is_exported():
    sigs = signatures()
    declared = set(sigs) | set(_lib.RAW_SIGNATURES)
    both = set(sigs) & set(_lib.RAW_SIGNATURES)
    assert not both, f"in SIGNATURES and RAW_SIGNATURES: {sorted(both)}"
    exported = exported_symbols()
    assert exported, f"no snn_ symbols found in {_lib.path}"
    no_argtypes = sorted(exported - declared)
    missing = sorted(declared - exported)
    assert not no_argtypes, (f"exported by {_lib.path} but without argtypes in any swiftnn/_c SIGNATURES "
                             f"table (ctypes would guess the types): {no_argtypes}")
    assert not missing, f"in SIGNATURES but not exported by {_lib.path}: {missing}"


def test_every_declared_function_is_exported_and_every_export_declared():
    decls = cheader.functions()
    assert decls, f"no declarations found under {cheader.INCLUDE}"
    exported = exported_symbols()
    undeclared = sorted(exported - set(decls))
    unexported = sorted(set(decls) - exported)
    assert not unexported, f"declared in include/ but not exported by {_lib.path}: {unexported}"
    assert not undeclared, f"exported by {_lib.path} but declared in no header under include/: {undeclared}"


_SCALARS = {
    "size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64, "int32_t": ctypes.c_int32, "int16_t": ctypes.c_int16,
    "int8_t": ctypes.c_int8, "uint64_t": ctypes.c_uint64, "uint32_t": ctypes.c_uint32, "uint16_t": ctypes.c_uint16,
    "uint8_t": ctypes.c_uint8, "float": ctypes.c_float, "double": ctypes.c_double, "bool": ctypes.c_bool,
    "int": ctypes.c_int, "unsigned": ctypes.c_uint, "char": ctypes.c_char,
}


def _cname(base):
    """How the ctypes type for a C scalar is spelled: size_t -> c_size_t, int64_t -> c_int64."""
    if base == "unsigned":
        return "c_uint"
    return "c_" + (base[:-2] if base.endswith("_t") and base != "size_t" else base)


def _expected(ctext, kinds):
    """A predicate for the ctypes type that matches the C type `ctext`, and its description."""
    stars = ctext.count("*")
    base = " ".join(w for w in ctext.replace("*", " ").split() if w != "const")
    kind = kinds.get(base)
    is_int = lambda t: isinstance(t, type) and issubclass(t, ctypes._SimpleCData) and t._type_ in "iIlLqQ"  # noqa: E731
    if stars == 0:
        if kind == "enum":
            return (lambda t: is_int(t) and ctypes.sizeof(t) == 4), "a 4-byte integer (enum)"
        if kind == "callback":
            return (lambda t: isinstance(t, type) and issubclass(t, ctypes._CFuncPtr)), "a CFUNCTYPE"
        if base in _SCALARS:
            return (lambda t: t is _SCALARS[base]), _cname(base)
    if stars == 1:
        if kind == "opaque" or base == "void":
            return (lambda t: t is ctypes.c_void_p), "c_void_p (a handle)"
        if base == "char":  # a string, or (not const) a buffer the library writes
            return (lambda t: t in (ctypes.c_char_p, ctypes.POINTER(ctypes.c_char))), "c_char_p"
        if kind == "struct":
            return (lambda t: isinstance(t, type) and issubclass(t, ctypes._Pointer)
                    and issubclass(t._type_, ctypes.Structure)), "POINTER(a Structure)"
        if kind == "enum":
            return (lambda t: isinstance(t, type) and issubclass(t, ctypes._Pointer)
                    and is_int(t._type_) and ctypes.sizeof(t._type_) == 4), "POINTER(a 4-byte integer)"
        if base in _SCALARS:
            return (lambda t: t is ctypes.POINTER(_SCALARS[base])), f"POINTER({_cname(base)})"
    if stars == 2 and (kind == "opaque" or base == "void"):
        return (lambda t: t is ctypes.POINTER(ctypes.c_void_p)), "POINTER(c_void_p)"
    if stars == 2 and base == "char":  # an array of strings
        return (lambda t: t is ctypes.POINTER(ctypes.c_char_p)), "POINTER(c_char_p)"
    return None, None


def test_argtypes_match_the_header():
    decls, kinds, problems = cheader.functions(), cheader.typedefs(), []
    tables = [(n, a, None) for n, a in signatures().items()]
    tables += [(n, a, r) for n, (r, a) in _lib.RAW_SIGNATURES.items()]
    for name, argtypes, restype in sorted(tables, key=lambda x: x[0]):
        d = decls.get(name)
        if d is None:
            continue  # reported by the export/declaration tests
        if restype is None and d.returns != "snn_status":
            problems.append(f"{name}: returns {d.returns!r} in the header, but SIGNATURES entries return "
                            "snn_status (declare it in _lib.RAW_SIGNATURES instead)")
        if restype is not None:
            ok, what = _expected(d.returns, kinds)
            if ok is None or not ok(restype):
                problems.append(f"{name}: returns {d.returns!r} in the header; RAW_SIGNATURES says "
                                f"{getattr(restype, '__name__', restype)}")
        if len(argtypes) != len(d.params):
            problems.append(f"{name}: {len(d.params)} parameters in the header, {len(argtypes)} argtypes")
            continue
        for p, t in zip(d.params, argtypes):
            ok, what = _expected(p.type, kinds)
            if ok is None:
                problems.append(f"{name}: parameter {p.name} has C type {p.type!r}, which this test cannot map "
                                "to ctypes (teach _expected in test_symbols.py)")
            elif not ok(t):
                problems.append(f"{name}: parameter {p.name} is {p.type!r} in the header, so its argtype should "
                                f"be {what}, not {getattr(t, '__name__', t)}")
    assert not problems, "\n".join(problems)


def test_refuses_another_abi_version(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    src = tmp_path / "fake.c"
    src.write_text("int snn_abi_version(void) { return 999; }\n")
    so = tmp_path / "libswiftnn.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    env = _env()
    env["SWIFTNN_LIB"] = str(so)
    p = subprocess.run([sys.executable, "-c", "import swiftnn"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), timeout=120)
    assert p.returncode != 0, "import swiftnn accepted a library reporting ABI version 999"
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError"), p.stderr
    assert "ABI version 999" in last and f"needs {_lib.ABI_VERSION}" in last, last
    assert str(so) in last, last


def test_missing_library_is_a_clear_import_error(tmp_path):
    env = _env()
    env["SWIFTNN_LIB"] = str(tmp_path / "nowhere" / "libswiftnn.so")
    p = subprocess.run([sys.executable, "-c", "import swiftnn"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), timeout=120)
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    assert p.returncode != 0 and last.startswith("ImportError") and "nowhere" in last, p.stderr


def test_abi_version_matches_the_header():
    with open(os.path.join(cheader.INCLUDE, "swiftnn.h"), encoding="utf-8") as f:
        text = f.read()
    line = next(ln for ln in text.splitlines() if ln.startswith("#define SNN_ABI_VERSION"))
    assert int(line.split()[2]) == _lib.ABI_VERSION == _lib.lib.snn_abi_version(), textwrap.dedent(f"""
        header: {line}; binding: {_lib.ABI_VERSION}; library: {_lib.lib.snn_abi_version()}""")
