#!/usr/bin/env python3
"""Writes bindings/python/swiftnn/_ffi.py, the Python binding's whole view of the C contract,
from include/swiftnn.h and the headers it includes: ABI version, integer #defines, enums (the
status codes among them), ctypes Structures, callback types and every function's ctypes
signature. Run by `make bindings` after changing a header; commit the output.

    python3 tools/gen_bindings.py            # rewrite _ffi.py
    python3 tools/gen_bindings.py --check    # exit 1 if _ffi.py is not what include/ gives

No dependencies beyond Python's standard library. The parser knows only the constructs the
header uses (see parse()); anything else stops it with an error naming the file and line, so
that a new kind of declaration can never be skipped silently.
"""
import ast
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = os.path.join(REPO, "include")
OUTPUT = os.path.join(REPO, "bindings", "python", "swiftnn", "_ffi.py")
ROOT_HEADER = "swiftnn.h"
STATUS_TYPE = "snn_status"          # the enum every fallible function returns
ABI_DEFINE = "SNN_ABI_VERSION"

# C scalar -> ctypes name. `int`-sized enums are passed as c_int (C enums are int here).
SCALARS = {
    "bool": "c_bool", "char": "c_char", "float": "c_float", "double": "c_double",
    "int": "c_int", "unsigned": "c_uint", "unsigned int": "c_uint", "long": "c_long",
    "size_t": "c_size_t", "int8_t": "c_int8", "int16_t": "c_int16", "int32_t": "c_int32",
    "int64_t": "c_int64", "uint8_t": "c_uint8", "uint16_t": "c_uint16", "uint32_t": "c_uint32",
    "uint64_t": "c_uint64",
}
# Casts allowed in an integer #define such as ((size_t)1 << 30).
INT_CASTS = re.compile(r"\(\s*(?:size_t|u?int(?:8|16|32|64)_t|int|unsigned|long)\s*\)")

TOKEN = re.compile(r"\s+|(?P<tok>[A-Za-z_]\w*|\d[\w.]*|[{}()\[\];,*=\-+<>|~&]+?)")


class HeaderError(Exception):
    """A construct the generator does not understand, with its file and line."""

    def __init__(self, where, what):
        super().__init__(f"{where[0]}:{where[1]}: {what}")


# ---- reading: comments, preprocessor, tokens ---------------------------------------------

def _blank_comments(text):
    """The text with comments replaced by spaces, newlines kept, so line numbers stay right."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


def _int_expr(text):
    """The value of an integer constant expression such as 16, 0x10 or ((size_t)1 << 30), or
    None. Evaluated over an AST of numbers and operators only (no names, no calls)."""
    expr = INT_CASTS.sub("", text)
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", expr)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return None
    ok = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.LShift, ast.RShift, ast.BitOr,
          ast.BitAnd, ast.Add, ast.Sub, ast.Mult, ast.USub, ast.Invert)
    if not all(isinstance(n, ok) for n in ast.walk(tree)):
        return None
    if any(isinstance(n, ast.Constant) and type(n.value) is not int for n in ast.walk(tree)):
        return None
    return eval(compile(tree, "<define>", "eval"))


class Reader:
    """Reads swiftnn.h and the headers it includes, in include order, into one token stream;
    integer #defines are collected on the way."""

    def __init__(self, include_dir):
        self.include_dir = include_dir
        self.tokens = []        # (token, (file, line))
        self.defines = {}       # name -> int, in header order
        self.files = []         # headers read, relative to include_dir

    def read(self, rel):
        path = os.path.join(self.include_dir, rel)
        self.files.append(rel)
        with open(path, encoding="utf-8") as f:
            lines = _blank_comments(f.read()).split("\n")
        skipping = []  # one entry per open #if: True inside an #ifdef __cplusplus block
        i = 0
        while i < len(lines):
            lineno, line = i + 1, lines[i]
            while line.rstrip().endswith("\\") and i + 1 < len(lines):  # continued directive
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i]
            i += 1
            where = (rel, lineno)
            stripped = line.strip()
            if stripped.startswith("#"):
                self._directive(stripped[1:].strip(), where, skipping)
                continue
            if any(skipping):
                continue
            self._tokenize(line, where)
        if skipping:
            raise HeaderError((rel, len(lines)), "#if without #endif")

    def _directive(self, d, where, skipping):
        word = d.split()[0] if d else ""
        if word in ("ifdef", "ifndef", "if"):
            # The include guard (#ifndef X_H) is read through and C++'s extern "C" wrapper
            # (#ifdef __cplusplus) skipped: it declares nothing. Any other condition would need
            # a preprocessor to know which declarations exist.
            if word == "ifndef" or d == "ifdef __cplusplus":
                skipping.append(d == "ifdef __cplusplus")
            else:
                raise HeaderError(where, f"#{d}: only include guards and #ifdef __cplusplus are understood")
        elif word == "endif":
            if not skipping:
                raise HeaderError(where, "#endif without #if")
            skipping.pop()
        elif any(skipping):
            pass
        elif word == "include":
            m = re.match(r'include\s+(<[^>]+>|"([^"]+)")$', d)
            if not m:
                raise HeaderError(where, f"cannot read #{d}")
            if m.group(2):  # one of ours: read it in place, as the compiler would
                self.read(m.group(2))
        elif word == "define":
            self._define(d[len("define"):].strip(), where)
        else:
            raise HeaderError(where, f"preprocessor directive #{word} is not understood by the generator")

    def _define(self, d, where):
        m = re.match(r"([A-Za-z_]\w*)(\()?\s*(.*)$", d)
        if not m:
            raise HeaderError(where, f"cannot read #define {d}")
        name, function_like, value = m.group(1), m.group(2), m.group(3).strip()
        if function_like or value.startswith("{"):
            return  # C initializer conveniences (SNN_X_INIT): Python fills structs through ctypes
        if not value:
            return  # an include guard
        v = _int_expr(value)
        if v is None:
            raise HeaderError(where, f"#define {name} {value}: not an integer constant the generator can evaluate")
        self.defines[name] = v

    def _tokenize(self, line, where):
        pos = 0
        while pos < len(line):
            m = TOKEN.match(line, pos)
            if not m or m.end() == pos:
                raise HeaderError(where, f"unexpected character {line[pos]!r}")
            if m.group("tok"):
                self.tokens.append((m.group("tok"), where))
            pos = m.end()


# ---- parsing: declarations -----------------------------------------------------------------

class CType:
    """A parsed C type: base name ("int64_t", "snn_tensor", "char"), pointer depth, and its
    canonical spelling ("const snn_tensor *const *"), which tests read constness from."""

    def __init__(self, words, where):
        self.where = where
        self.text = _spell(words)
        self.depth = words.count("*")
        base = [w for w in words if w not in ("const", "*", "struct", "enum")]
        self.base = " ".join(base)
        if not base:
            raise HeaderError(where, f"type without a name: {' '.join(words)}")


def _spell(words):
    s = " ".join(words)
    s = re.sub(r"\* (?=[*])", "*", s)
    return s.replace("* const", "*const")


def _split(tokens, sep):
    """tokens split on `sep` at parenthesis and brace depth 0."""
    parts, cur, depth = [], [], 0
    for tok in tokens:
        if tok[0] in "({[":
            depth += 1
        elif tok[0] in ")}]":
            depth -= 1
        if tok[0] == sep and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        parts.append(cur)
    return parts


class Header:
    """Everything the header declares, in header order."""

    def __init__(self):
        self.defines = {}
        self.enums = {}       # name -> [(member, value)]
        self.handles = []     # opaque typedef'd structs
        self.structs = {}     # name -> [(field, CType, array length or None)]
        self.callbacks = {}   # name -> (CType returned, [(param name, CType)])
        self.functions = {}   # name -> (CType returned, [(param name, CType)])
        self.order = []       # (kind, name) of types, for emitting them in header order

    def kind(self, name):
        if name in self.enums:
            return "enum"
        if name in self.handles:
            return "handle"
        if name in self.structs:
            return "struct"
        if name in self.callbacks:
            return "callback"
        if name in SCALARS or name == "void":
            return "scalar"
        return None


def _declarator(toks, what):
    """(name, CType, array length) of `const int64_t *dims` or `int64_t dims[4]`."""
    words = [t for t, _ in toks]
    where = toks[0][1] if toks else ("?", 0)
    length = None
    if len(words) >= 4 and words[-1] == "]" and words[-3] == "[":
        length, words = words[-2], words[:-3]
    elif words and words[-1] == "]":
        raise HeaderError(where, f"cannot read the array in {what}: {' '.join(words)}")
    if "(" in words:
        raise HeaderError(where, f"a function pointer in {what} ({' '.join(words)}): give it a typedef")
    if len(words) < 2 or not re.match(r"[A-Za-z_]\w*$", words[-1]) or words[-1] in ("const", "void"):
        raise HeaderError(where, f"cannot read {what}: {' '.join(words)} (a name is required)")
    return words[-1], CType(words[:-1], where), length


def _params(toks, what):
    """[(name, CType)] of a parenthesised parameter list without its parentheses."""
    words = [t for t, _ in toks]
    if words in ([], ["void"]):
        return []
    params = []
    for p in _split(toks, ","):
        name, ctype, length = _declarator(p, what)
        if length is not None:  # a parameter `T x[N]` is a pointer, as in C
            ctype = CType([t for t, _ in p[:-4]] + ["*"], p[0][1])
        params.append((name, ctype))
    return params


def _closing(toks, i):
    """The index of the bracket closing toks[i]."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][0] == toks[i][0]:
            depth += 1
        elif toks[j][0] == pairs[toks[i][0]]:
            depth -= 1
            if depth == 0:
                return j
    raise HeaderError(toks[i][1], f"unbalanced {toks[i][0]}")


def parse(include_dir=INCLUDE):
    """Reads include_dir/swiftnn.h and what it includes. The statements understood are:
    typedef struct X X;  typedef struct X { fields } X;  typedef enum X { A = 1, ... } X;
    typedef R (*name)(params);  R name(params);  and extern "C" around them."""
    reader = Reader(include_dir)
    reader.read(ROOT_HEADER)
    # A header nobody includes would have its functions missed without a word: refuse it.
    for dirpath, _, names in sorted(os.walk(include_dir)):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(dirpath, n), include_dir)
            if n.endswith(".h") and rel not in reader.files:
                raise HeaderError((rel, 1), f"not included by {ROOT_HEADER}, so the binding would miss it")
    h = Header()
    h.defines = reader.defines
    toks = reader.tokens
    # extern "C" { ... } would be tokens `extern "C" {`; the header keeps it inside
    # #ifdef __cplusplus, which the reader skips, so it cannot reach here.
    statements, cur, depth = [], [], 0
    for tok in toks:
        cur.append(tok)
        depth += tok[0] == "{"
        depth -= tok[0] == "}"
        if tok[0] == ";" and depth == 0:
            statements.append(cur[:-1])
            cur = []
    if cur:
        raise HeaderError(cur[0][1], f"declaration without a closing ';': {' '.join(t for t, _ in cur[:12])}")
    for st in statements:
        if not st:
            continue
        _statement(h, st)
    _check(h)
    return h


def _statement(h, st):
    words = [t for t, _ in st]
    where = st[0][1]
    text = " ".join(words)
    if words[0] == "typedef":
        if len(words) == 4 and words[1] == "struct" and words[2] == words[3]:
            h.handles.append(words[3])  # an opaque handle: the binding sees a void *
            return
        if words[1] in ("struct", "enum") and "{" in words:
            open_ = words.index("{")
            close = _closing(st, open_)
            tail = words[close + 1:]
            if open_ > 3 or len(tail) != 1:
                raise HeaderError(where, f"cannot read the {words[1]} typedef: {text[:80]}")
            name, body = tail[0], st[open_ + 1:close]
            if words[1] == "enum":
                h.enums[name] = _enum(body, name, where)
                h.order.append(("enum", name))
            else:
                h.structs[name] = _struct(h, body, name, where)
                h.order.append(("struct", name))
            return
        m = re.match(r"typedef (.+) \( \* ([A-Za-z_]\w*) \) \( (.*) \)$", text)
        if m:
            i = words.index("(")
            close = _closing(st, i + 4)  # typedef R ( * name ) ( params )
            returns = CType(words[1:i], where)
            h.callbacks[m.group(2)] = (returns, _params(st[i + 5:close], f"callback {m.group(2)}"))
            h.order.append(("callback", m.group(2)))
            return
        raise HeaderError(where, f"typedef not understood by the generator: {text[:100]}")
    if "(" in words and words[-1] == ")":
        i = words.index("(")
        if _closing(st, i) != len(st) - 1 or i < 2:
            raise HeaderError(where, f"cannot read the declaration: {text[:100]}")
        name = words[i - 1]
        if not re.match(r"[A-Za-z_]\w*$", name):
            raise HeaderError(where, f"cannot read the function name in: {text[:100]}")
        if name in h.functions:
            raise HeaderError(where, f"{name} is declared twice")
        h.functions[name] = (CType(words[:i - 1], where), _params(st[i + 1:-1], name))
        return
    raise HeaderError(where, f"declaration not understood by the generator: {text[:100]}")


def _enum(body, name, where):
    members = []
    for item in _split(body, ","):
        words = [t for t, _ in item]
        if len(words) < 3 or words[1] != "=":
            raise HeaderError(item[0][1] if item else where,
                              f"enum {name}: {' '.join(words)} needs an explicit value (values are fixed ABI)")
        value = _int_expr(" ".join(words[2:]))
        if value is None:
            raise HeaderError(item[0][1], f"enum {name}: cannot evaluate {' '.join(words[2:])}")
        members.append((words[0], value))
    return members


def _struct(h, body, name, where):
    fields = []
    for decl in _split(body, ";"):
        # `int64_t stride_h, stride_w;` declares several fields of one type.
        first, *more = _split(decl, ",")
        fname, ctype, length = _declarator(first, f"struct {name}")
        fields.append((fname, ctype, length))
        type_words = [t for t, _ in first][:-1 - (3 if length is not None else 0)]
        base_words = [w for w in type_words if w != "*"]
        for extra in more:
            ename, etype, elen = _declarator([(w, extra[0][1]) for w in base_words] + extra, f"struct {name}")
            fields.append((ename, etype, elen))
    if not fields:
        raise HeaderError(where, f"struct {name} has no fields")
    return fields


def _check(h):
    if STATUS_TYPE not in h.enums:
        raise HeaderError((ROOT_HEADER, 1), f"no enum {STATUS_TYPE} found")
    if ABI_DEFINE not in h.defines:
        raise HeaderError((ROOT_HEADER, 1), f"no #define {ABI_DEFINE} found")


# ---- mapping C types to ctypes -------------------------------------------------------------

def ctype_of(h, t, returned=False):
    """The ctypes expression for C type t, as Python source."""
    kind = h.kind(t.base)
    if kind is None:
        raise HeaderError(t.where, f"unknown type {t.base!r} in {t.text!r}")
    if t.depth == 0:
        if t.base == "void":
            if returned:
                return "None"
            raise HeaderError(t.where, "void is only a return type")
        if kind == "handle":
            raise HeaderError(t.where, f"{t.base} is opaque: it can only be used through a pointer")
        if kind == "enum":
            return "c_int"
        if kind == "scalar":
            return SCALARS[t.base]
        return t.base  # a struct by value or a callback: the generated class of that name
    if t.depth == 1:
        if t.base == "char":
            return "c_char_p"  # a string, or (not const) a buffer the library fills
        if t.base == "void" or kind == "handle":
            return "c_void_p"  # handles cross as plain addresses
        if kind == "callback":
            raise HeaderError(t.where, f"pointer to callback {t.base}: pass the callback itself")
        return f"POINTER({ctype_of(h, _deref(t))})"
    if t.depth == 2 and (t.base in ("void", "char") or kind == "handle"):
        # snn_tensor **out (an out handle), snn_tensor *const *ts (an array of handles),
        # const char *const *names (an array of strings)
        return "POINTER(c_char_p)" if t.base == "char" else "POINTER(c_void_p)"
    return f"POINTER({ctype_of(h, _deref(t))})"


def _deref(t):
    """t with one pointer level removed."""
    d = object.__new__(CType)
    d.where, d.base, d.depth = t.where, t.base, t.depth - 1
    d.text = t.text.rsplit("*", 1)[0].rstrip()
    if d.text.endswith("const") and d.depth > 0:
        d.text = d.text[:-len("const")].rstrip()
    return d


# ---- writing _ffi.py ---------------------------------------------------------------------------

def _dict_lines(name, items, comment=None):
    out = [f"# {comment}"] if comment else []
    out.append(f"{name} = {{")
    out += [f"    {k!r}: {v}," for k, v in items]
    out.append("}")
    return out


def generate(include_dir=INCLUDE):
    """The text of _ffi.py for the headers in include_dir."""
    h = parse(include_dir)
    body = []
    body.append(f"ABI_VERSION = {h.defines[ABI_DEFINE]}")
    body.append("")
    body += _dict_lines("DEFINES", [(k, v) for k, v in h.defines.items()],
                        "Integer #defines, by name.")
    body.append("")
    body += _dict_lines("ENUMS", [(n, "{" + ", ".join(f"{m!r}: {v}" for m, v in h.enums[n]) + "}")
                                  for n in h.enums],
                        "Every enum: type name -> {member: value}. C enums cross as c_int.")
    body.append("")
    body += _dict_lines("STATUS", [(m, v) for m, v in h.enums[STATUS_TYPE]],
                        f"The status codes ({STATUS_TYPE}): name -> value. SNN_OK is success.")
    body.append("STATUS_NAMES = {v: k for k, v in STATUS.items()}  # value -> name, as snn_status_string")
    body.append("")
    body.append("# The members of every enum and the #defines as module constants (SNN_OK, SNN_MAX_NDIM, ...).")
    for n in h.enums:
        for m, v in h.enums[n]:
            body.append(f"{m} = {v}")
    for k, v in h.defines.items():
        body.append(f"{k} = {v}")
    body.append("")
    body.append("# Opaque handle types: each crosses the boundary as a c_void_p.")
    body.append("HANDLE_TYPES = (" + "".join(f"{n!r}, " for n in h.handles).rstrip(" ") + ")")
    for kind, name in h.order:
        if kind in ("struct", "callback"):
            body += ["", ""]
        if kind == "struct":
            body.append(f"class {name}(Structure):")
            body.append(f'    """{name}: field for field the C struct, in order."""')
            body.append("    __slots__ = ()  # a misspelt or renamed field raises instead of setting a stray attribute")
            body.append("    _fields_ = [")
            for fname, t, length in h.structs[name]:
                ct = ctype_of(h, t)
                if length is not None:
                    n = h.defines.get(length, length)
                    if not str(n).isdigit():
                        raise HeaderError(t.where, f"array length {length} of {name}.{fname} is not a known integer")
                    ct = f"{ct} * {n}"
                body.append(f"        ({fname!r}, {ct}),")
            body.append("    ]")
        elif kind == "callback":
            returns, params = h.callbacks[name]
            args = ", ".join([ctype_of(h, returns, returned=True)] + [ctype_of(h, t) for _, t in params])
            body.append(f"# {_c_signature(name, returns, params, pointer=True)}")
            body.append(f"{name} = CFUNCTYPE({args})")
    body.append("")
    body.append("")
    body += _dict_lines("STRUCTS", [(n, n) for k, n in h.order if k == "struct"], "Struct name -> class.")
    body.append("")
    body += _dict_lines("CALLBACKS", [(n, n) for k, n in h.order if k == "callback"],
                        "Callback type name -> CFUNCTYPE.")
    body.append("")
    fn_lines = []
    for name, (returns, params) in h.functions.items():
        args = ", ".join(ctype_of(h, t) for _, t in params)
        fn_lines.append((name, f"({ctype_of(h, returns, returned=True)}, ({args}{',' if len(params) == 1 else ''}))"))
    body += _dict_lines("FUNCTIONS", fn_lines,
                        "Every declared function: name -> (restype, argtypes), in header order.")
    body.append("")
    decl_lines = []
    for name, (returns, params) in h.functions.items():
        ps = ", ".join(f"({t.text!r}, {p!r})" for p, t in params)
        decl_lines.append((name, f"({returns.text!r}, ({ps}{',' if len(params) == 1 else ''}))"))
    body += _dict_lines("DECLARATIONS", decl_lines,
                        "The same functions as C declares them: name -> (return type, ((parameter type, "
                        "name), ...)),\n# for tests that pick arguments by parameter name and constness.")
    used = sorted(set(re.findall(r"\b(c_\w+|POINTER|CFUNCTYPE|Structure)\b", "\n".join(body))))
    head = [
        "# Generated by tools/gen_bindings.py from include/swiftnn.h and include/swiftnn/*.h: do not edit; run `make bindings`.",
        '"""The C contract as ctypes: ABI version, #defines, enums and status codes, Structures,',
        "callback types and every function's (restype, argtypes). _lib.py applies FUNCTIONS to the",
        'loaded library; the rest of the binding takes its structs and constants from here."""',
        f"from ctypes import {', '.join(used)}",
        "",
    ]
    return "\n".join(head + body) + "\n"


def _c_signature(name, returns, params, pointer=False):
    ps = ", ".join(f"{t.text} {p}".replace("* ", "*") for p, t in params) or "void"
    return f"{returns.text} ({'*' if pointer else ''}{name})({ps})"


def main(argv):
    check = "--check" in argv
    try:
        text = generate()
    except HeaderError as e:
        sys.exit(f"gen_bindings: include/{e}")
    if check:
        with open(OUTPUT, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit(f"{os.path.relpath(OUTPUT, REPO)} differs from what include/ gives: run `make bindings`")
        return
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(OUTPUT, REPO)}")


if __name__ == "__main__":
    main(sys.argv[1:])
