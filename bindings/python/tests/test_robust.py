"""Issue 20's defects as Python users meet them: PyTorch's load_state_dict messages, a PyTorch
checkpoint given to swiftnn.load, fitting on an empty loader, a cycle of engine modules; and
the engine's log routed to the `logging` logger "swiftnn", with nothing written to stdout or
stderr by the library. Each test names the defect it guards."""
import logging
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import swiftnn
from swiftnn import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
OPSET6 = os.path.join(REPO, "Tests", "fuzz", "onnx", "relu_opset6.onnx")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)


# Defect: "missing keys [], unexpected keys [...]"; size mismatches did not name the key.
def test_load_state_dict_speaks_pytorch():
    net = Net()
    good = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict({"fc.weight": good["fc.weight"]})
    assert str(e.value) == 'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc.bias". '
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict({**good, "extra": np.zeros(1, np.float32)})
    assert str(e.value) == 'Error(s) in loading state_dict for Net:\n\tUnexpected key(s) in state_dict: "extra". '
    before = net.fc.weight.detach().numpy().copy()
    with pytest.raises(swiftnn.ShapeError) as e:  # a RuntimeError, as PyTorch's
        net.load_state_dict({**good, "fc.weight": np.zeros((2, 4), np.float32)})
    assert ("size mismatch for fc.weight: copying a param with shape swiftnn.Size([2, 4]) from checkpoint, "
            "the shape in current model is swiftnn.Size([3, 4]).") in str(e.value)
    assert "missing" not in str(e.value).lower() and "[]" not in str(e.value)
    np.testing.assert_array_equal(net.fc.weight.detach().numpy(), before)  # nothing copied
    result = net.load_state_dict({"fc.weight": good["fc.weight"], "x": good["fc.bias"]}, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == ["x"]
    assert repr(net.load_state_dict(good)) == "<All keys matched successfully>"


# Defect: swiftnn.load("x.pth") reported a 578,712,552,184,433,488-byte header.
def test_load_names_pytorch_checkpoints(tmp_path):
    legacy = tmp_path / "legacy.pth"
    legacy.write_bytes(bytes([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]) + b"\x00" * 16)
    with zipfile.ZipFile(tmp_path / "zipped.pth", "w") as z:  # torch.save's layout since 1.6
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    for path, kind in [(legacy, "PyTorch pickle checkpoint"), (tmp_path / "zipped.pth", "PyTorch zip checkpoint")]:
        with pytest.raises(swiftnn.FormatError) as e:
            swiftnn.load(path)
        assert f"this is a {kind}" in str(e.value) and "tools/torch_to_safetensors.py" in str(e.value)
        assert "header length" not in str(e.value)


# Defect: fit_classifier on an empty loader returned having done nothing.
def test_fit_classifier_on_empty_data_is_an_error():
    model = nn.Sequential(nn.Linear(2, 3))
    opt = swiftnn.optim.SGD(model.parameters(), lr=0.1)
    loader = swiftnn.data.DataLoader(np.zeros((0, 2), np.float32), np.zeros(0, np.int64), batch_size=4)
    with pytest.raises(ValueError, match="the data loader is empty: it holds 0 samples"):
        swiftnn.train.fit_classifier(model, opt, loader)
    short = swiftnn.data.DataLoader(np.zeros((3, 2), np.float32), np.zeros(3, np.int64), batch_size=4, drop_last=True)
    with pytest.raises(ValueError, match=r"3 samples \(batch_size 4, drop_last true\)"):
        swiftnn.train.fit_classifier(model, opt, short)


# Defect: a wrong LSTM input size blamed weight_ih_l0.
def test_wrong_lstm_input_size_names_the_input():
    with pytest.raises(swiftnn.ShapeError, match=r"input.size\(-1\) must be equal to input_size. Expected 10, got 7 \(input of shape \[5, 3, 7\]\)"):
        nn.LSTM(10, 4)(swiftnn.zeros(5, 3, 7))


# Defect: append(s, s) made a cycle that crashed every walk (through the C call the binding uses).
def test_engine_refuses_a_cycle_of_modules():
    from swiftnn._lib import lib
    s = nn.Sequential(nn.Linear(2, 2))
    status = lib.snn_module_sequential_append(s._mh, s._mh)
    assert status == swiftnn._ffi.SNN_ERR_INVALID_ARGUMENT
    assert "cycle" in lib.snn_last_error().decode()
    assert tuple(s(swiftnn.zeros(1, 2)).shape) == (1, 2)


def test_engine_messages_reach_the_swiftnn_logger(caplog):
    caplog.set_level(logging.DEBUG, logger="swiftnn")
    with pytest.raises(swiftnn.ShapeError):
        swiftnn.zeros(2, 3) + swiftnn.zeros(4, 5)
    failures = [r for r in caplog.records if r.name == "swiftnn" and r.levelno == logging.DEBUG]
    assert any("cannot be broadcast" in r.getMessage() for r in failures), [r.getMessage() for r in caplog.records]


def test_set_log_callback_and_level():
    got = []
    swiftnn.set_log_callback(lambda level, message: got.append((level, message)))
    try:
        with pytest.raises(swiftnn.ShapeError):
            swiftnn.zeros(2, 3) + swiftnn.zeros(4, 5)
        assert got and got[-1][0] == "debug" and "cannot be broadcast" in got[-1][1]
        swiftnn.set_log_level("warning")
        n = len(got)
        with pytest.raises(swiftnn.ShapeError):
            swiftnn.zeros(2, 3) + swiftnn.zeros(4, 5)
        assert len(got) == n
        with pytest.raises(ValueError, match="unknown level"):
            swiftnn.set_log_level("loud")
    finally:
        swiftnn.set_log_level("debug")
        swiftnn.set_log_callback(None)


SCRIPT = r"""
import swiftnn, swiftnn.onnx
for _ in range(2):
    swiftnn.onnx.load(OPSET6)            # a deprecation warning (once)
try:
    swiftnn.zeros(2, 3) + swiftnn.zeros(4, 5)   # a failure: a debug message
except swiftnn.ShapeError:
    pass
swiftnn.set_num_threads(2)
lstm = swiftnn.nn.LSTM(8, 256)
lstm(swiftnn.zeros(2, 256, 8))            # the thread pool starts: an info message
import logging
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append((record.levelname, record.getMessage()))
if MODE == "logging":
    logging.getLogger("swiftnn").addHandler(Keep())
    logging.getLogger("swiftnn").setLevel(logging.DEBUG)
    swiftnn.onnx.load(OPSET6.replace("relu_opset6", "gemm_relu"))
    try:
        swiftnn.zeros(2, 3) + swiftnn.zeros(4, 5)
    except swiftnn.ShapeError:
        pass
    assert any(l == "DEBUG" and "cannot be broadcast" in m for l, m in records), records
"""


@pytest.mark.parametrize("mode", ["silent", "logging"])
def test_the_library_writes_nothing_to_stdout_or_stderr(mode):
    env = dict(os.environ, SWIFTNN_NO_AVX512="1", PYTHONPATH=os.path.dirname(os.path.dirname(swiftnn.__file__)))
    code = f"OPSET6 = {OPSET6!r}\nMODE = {mode!r}\n" + SCRIPT
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == b"" and p.stderr == b"", (p.stdout, p.stderr)
