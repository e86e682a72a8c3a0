"""Every public name of the Python API has a docstring: classes and functions of the public
modules and the public methods and properties of those classes. The names that still lack one
are listed in docstrings_missing.txt (a shrinking list, issue 17): a new public name without a
docstring fails here, and so does a listed name that has gained one (remove it from the list)."""
import importlib
import inspect
import os

MODULES = ["swiftnn", "swiftnn.nn", "swiftnn.nn.functional", "swiftnn.nn.init", "swiftnn.nn.utils.rnn",
           "swiftnn.optim", "swiftnn.optim.lr_scheduler", "swiftnn.utils.data", "swiftnn.onnx", "swiftnn.io"]
LISTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "docstrings_missing.txt")


def public_names():
    """{qualified name: has a docstring} over the public API, each object once."""
    seen, out = set(), {}
    for mn in MODULES:
        m = importlib.import_module(mn)
        for name in sorted(dir(m)):
            obj = getattr(m, name)
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("swiftnn"):
                continue
            key = (obj.__module__, obj.__qualname__)
            if key in seen:
                continue
            seen.add(key)
            out[f"{mn}.{name}"] = bool((obj.__doc__ or "").strip())
            if inspect.isclass(obj):
                for an, av in vars(obj).items():
                    f = av.fget if isinstance(av, property) else av
                    if not an.startswith("_") and inspect.isfunction(f):
                        out[f"{mn}.{name}.{an}"] = bool((f.__doc__ or "").strip())
    return out


def test_every_public_name_has_a_docstring():
    names = public_names()
    listed = {line.strip() for line in open(LISTED) if line.strip() and not line.startswith("#")}
    lacking = sorted(n for n, ok in names.items() if not ok and n not in listed)
    assert not lacking, f"{len(lacking)} public names lack a docstring:\n" + "\n".join(lacking)
    fixed = sorted(n for n in listed if names.get(n, True))
    assert not fixed, "these names now have a docstring (or are gone): remove them from docstrings_missing.txt:\n" + \
        "\n".join(fixed)
    assert len(names) > 300  # the walk found the API
