"""Reads the C contract (include/swiftnn.h and include/swiftnn/**/*.h): every declared function
with its parameters' types and names, so tests can check the exports against it and pick
meaningful arguments for functions they were not written for."""
import glob
import os
import re
from collections import namedtuple

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
INCLUDE = os.path.join(REPO, "include")

# type: the declaration without the name ("const int64_t *"); const: the pointee is const
# (an input), so a non-const pointer parameter is an output.
Param = namedtuple("Param", "type name const")
# A declared function: its return type ("snn_status", "const char *") and parameters.
Decl = namedtuple("Decl", "returns params")


def header_files():
    return sorted(glob.glob(os.path.join(INCLUDE, "**", "*.h"), recursive=True))


def _strip_comments(text):
    """The header without comments and preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r"(?m)^\s*#.*$", " ", text)


def _read(path):
    with open(path, encoding="utf-8") as f:
        return _strip_comments(f.read())


def _split_top_level(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _param(text):
    text = " ".join(text.split())
    fp = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", text)  # function pointer: ret (*name)(...)
    if fp:
        return Param(text.replace(fp.group(1), "", 1), fp.group(1), False)
    m = re.match(r"(.*?)([A-Za-z_]\w*)\s*(\[\s*\w*\s*\])?$", text)
    if not m or not m.group(1).strip():
        return Param(text, "", text.startswith("const"))  # unnamed parameter
    ctype = m.group(1).strip() + (" *" if m.group(3) else "")
    return Param(ctype, m.group(2), ctype.startswith("const"))


def functions():
    """{name: Decl} for every snn_ function declared in the headers."""
    decls = {}
    for path in header_files():
        text = _read(path)
        for m in re.finditer(r"(?<![\w(])(snn_[a-z0-9_]+)\s*\(", text):
            if re.search(r"\(\s*\*\s*$", text[max(0, m.start() - 16):m.start()]):
                continue  # a function pointer type: (*snn_callback)(...)
            depth, i = 1, m.end()
            while i < len(text) and depth:
                depth += text[i] == "("
                depth -= text[i] == ")"
                i += 1
            if not re.match(r"\s*;", text[i:]):
                continue  # a call or a macro, not a declaration
            before = text[:m.start()]
            cut = max(before.rfind(";"), before.rfind("}"), before.rfind("{"))
            returns = " ".join(before[cut + 1:].replace("*", " * ").split()).replace("* *", "**")
            inner = text[m.end():i - 1].strip()
            params = [] if inner in ("", "void") else [_param(p) for p in _split_top_level(inner)]
            decls[m.group(1)] = Decl(returns, params)
    return decls


def declarations():
    """{name: [Param, ...]} for every snn_ function declared in the headers."""
    return {name: d.params for name, d in functions().items()}


def typedefs():
    """{name: "enum" | "opaque" | "struct" | "callback"} for the snn_ types the headers define."""
    kinds = {}
    for path in header_files():
        text = _read(path)
        for m in re.finditer(r"typedef\s+enum\s*\w*\s*\{[^}]*\}\s*(\w+)\s*;", text):
            kinds[m.group(1)] = "enum"
        for m in re.finditer(r"typedef\s+struct\s+\w+\s+(\w+)\s*;", text):
            kinds[m.group(1)] = "opaque"
        for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{.*?\}\s*(\w+)\s*;", text, flags=re.S):
            kinds[m.group(1)] = "struct"
        for m in re.finditer(r"typedef[^;{}]*\(\s*\*\s*(\w+)\s*\)\s*\(", text):
            kinds[m.group(1)] = "callback"
    return kinds
