"""SwiftNN's protobuf writer, checked by onnx's parser: the Swift test re-encodes a model that
onnx wrote (Tests/fixtures/onnx/rich.onnx); onnx must read our bytes as the same model."""
import os

import onnx
import pytest
from google.protobuf.json_format import MessageToDict

from conftest import REPO


def test_onnx_parses_our_encoding_as_the_same_model():
    ours = os.path.join(REPO, "build", "onnx-roundtrip", "rich.onnx")
    if not os.path.exists(ours):
        pytest.skip("run the Swift tests first (make test does)")
    a = onnx.load(os.path.join(REPO, "Tests", "fixtures", "onnx", "rich.onnx"))
    b = onnx.load(ours)
    assert MessageToDict(a) == MessageToDict(b)
