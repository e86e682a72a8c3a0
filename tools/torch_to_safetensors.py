#!/usr/bin/env python3
"""Converts a PyTorch checkpoint (torch.save output: the zip format of torch >= 1.6 or the legacy
pre-zip format) to safetensors, without torch: numpy, safetensors and a restricted unpickler.

    python3 tools/torch_to_safetensors.py in.pth out.safetensors [--key state_dict]
            [--strip-prefix module.] [--keep-dtypes]

Pickles can run code, so the unpickler resolves only the few torch/collections/builtins names
a checkpoint of tensors needs and refuses everything else (os.system, a pickled nn.Module, ...).
Tensors are rebuilt from their storages with numpy (offset, size, stride, checked against the
storage) and written as float32/int64, the two dtypes SwiftNN reads, unless --keep-dtypes.

The reader itself ships in the Python package (bindings/python/swiftnn/_torch_pickle.py, which
swiftnn.models uses to load .pth files); it is loaded here by path, so this tool needs neither
the built library nor an installed swiftnn.
"""
import argparse
import importlib.util
import os
import sys

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python", "swiftnn", "_torch_pickle.py")
_spec = importlib.util.spec_from_file_location("swiftnn_torch_pickle", _PATH)
_reader = importlib.util.module_from_spec(_spec)
sys.modules["swiftnn_torch_pickle"] = _reader
_spec.loader.exec_module(_reader)
from swiftnn_torch_pickle import *  # noqa: E402,F401,F403  (ConversionError, load, convert, ...)

def main(argv=None):
    p = argparse.ArgumentParser(
        description="Convert a PyTorch checkpoint (zip or legacy torch.save format) to safetensors without torch. "
                    "Tensors are written as float32/int64 (what SwiftNN reads) unless --keep-dtypes.")
    p.add_argument("input", help="checkpoint written by torch.save (.pth/.pt/.bin)")
    p.add_argument("output", help="safetensors file to write")
    p.add_argument("--key", help="convert checkpoint[KEY] (e.g. state_dict, model; a/b for nested dicts); "
                                 "by default the top level if it holds tensors, else the one nested dict of tensors")
    p.add_argument("--strip-prefix", metavar="PREFIX",
                   help="remove PREFIX from tensor names that start with it (e.g. 'module.' from DataParallel)")
    p.add_argument("--keep-dtypes", action="store_true",
                   help="keep float16/float64/int32/uint8/bool... as they are (bfloat16 still becomes float32: "
                        "numpy has no bfloat16); SwiftNN itself reads only float32 and int64")
    a = p.parse_args(argv)
    try:
        r = convert(a.input, a.output, a.key, a.strip_prefix, a.keep_dtypes)
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    width = max([len(e.name) for e in r.entries] + [4])
    for e in r.entries:
        dt = e.source_dtype if e.source_dtype == e.dtype else f"{e.source_dtype} -> {e.dtype}"
        print(f"  {e.name:<{width}}  {str(list(e.shape)):<18} {dt}")
    print(r.summary())
    if not a.strip_prefix and r.entries and all(e.name.startswith("module.") for e in r.entries):
        print("note: every name starts with 'module.' (DataParallel); --strip-prefix module. removes it")
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
