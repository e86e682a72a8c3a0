#!/usr/bin/env python3
"""ResNet-18 (torchvision's architecture, random weights: torchvision's are not among this
project's offline data) side by side with PyTorch in one process: the eval forward without
grad (eager and through swiftnn.compile) and a training step (cross-entropy on fixed random labels, SGD with momentum), PyTorch
contiguous and channels_last (its best path is the faster of the two, per round); then the
torch-exported ONNX file through swiftnn.onnx.load against onnxruntime (ORT_ENABLE_ALL,
intra_op_num_threads=THREADS). A network none of the other benchmarks include: the
convolution kernel rule meets its 3x3 layers at 56, 28, 14 and 7 positions a row, padded,
64-512 channels, and the plan its max pool.

    make lib && python3 bench/bench_resnet.py [--batch 8] [--size 224] [--rounds 5] [--threads 2]

Each round times every contender in turn (median of --calls calls after a pause); printed: the
median over rounds of each one's time and of the per-round ratio against PyTorch's best
(> 1: swiftnn faster). Inputs synthetic.
"""
import argparse
import os

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--size", type=int, default=224)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--calls", type=int, default=3)
ap.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "2")))
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS, median_call, rounds_against_torch_best  # noqa: E402  (sets the BLAS thread counts before numpy loads)
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)


def make(lib, nn, optim, state, channels_last=False):
    model = cnn_models.resnet18(nn)
    model.load_state_dict({k: (torch.from_numpy(v) if lib is torch else swiftnn.from_numpy(v)) for k, v in state.items()})
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def forward(x):
        model.eval()
        with lib.no_grad():
            return model(x)

    compiled = None
    if lib is swiftnn:
        model.eval()
        compiled = swiftnn.compile(model)

    def forward_compiled(x):
        with lib.no_grad():
            return compiled(x)

    def step(x, y):
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return forward, step, forward_compiled, model


def compare(title, fns):
    print(f"\n{title}")
    rounds_against_torch_best(fns, args.rounds, args.calls)


def against_onnxruntime(t_model, x, want):
    """The torch-exported ONNX file: swiftnn.onnx.load (its inference plan) and onnxruntime,
    alternating; the median over rounds of each one's time and of the per-round ratio."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("\n(onnxruntime comparison skipped: onnxruntime missing)")
        return
    path = os.path.join(tempfile.mkdtemp(), "resnet18.onnx")
    t_model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(t_model, (torch.from_numpy(x[:1]),), path, dynamo=False, opset_version=17, input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    onx = swiftnn.onnx.load(path)
    sx = swiftnn.from_numpy(x)

    def ours():
        with swiftnn.no_grad():
            return onx(sx).numpy()

    def theirs():
        return sess.run(None, {"input": x})[0]

    print(f"\nONNX file, swiftnn.onnx against onnxruntime {ort.__version__}: largest difference from PyTorch "
          f"{float(np.abs(ours() - want).max()):.2e} / {float(np.abs(theirs() - want).max()):.2e}; "
          f"{onx.plan_report(x).splitlines()[0][:60]}")
    times = []
    for _ in range(args.rounds):
        time.sleep(0.2)
        a = median_call(ours, args.calls)
        time.sleep(0.2)
        times.append((a, median_call(theirs, args.calls)))
    print(f"  swiftnn.onnx           {statistics.median(a for a, _ in times) * 1e3:9.1f} ms")
    print(f"  onnxruntime            {statistics.median(b for _, b in times) * 1e3:9.1f} ms")
    print(f"  ratio vs onnxruntime {statistics.median(b / a for a, b in times):5.2f}x  (> 1: swiftnn faster; rounds {args.rounds} x {args.calls} calls)")


def main():
    torch.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in cnn_models.resnet18(torch.nn).state_dict().items()}
    print(f"ResNet-18, random weights, batch {args.batch}, {args.size}x{args.size}; swiftnn {swiftnn.__version__}, "
          f"torch {torch.__version__}, threads={THREADS}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 3, args.size, args.size)).astype(np.float32)
    y = rng.integers(0, 1000, args.batch).astype(np.int64)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tx_cl = tx.contiguous(memory_format=torch.channels_last)
    sx, sy = swiftnn.from_numpy(x), swiftnn.from_numpy(y)
    s_fwd, s_step, s_comp, _ = make(swiftnn, swiftnn.nn, swiftnn.optim, state)
    t_fwd, t_step, _, t_model = make(torch, torch.nn, torch.optim, state)
    c_fwd, c_step, _, _ = make(torch, torch.nn, torch.optim, state, channels_last=True)
    want = t_fwd(tx).numpy()
    print(f"eval forward: largest difference from PyTorch {float(np.abs(s_fwd(sx).numpy() - want).max()):.2e} eager, "
          f"{float(np.abs(s_comp(sx).numpy() - want).max()):.2e} swiftnn.compile")
    compare("eval forward, no grad", {"swiftnn": lambda: s_fwd(sx), "torch": lambda: t_fwd(tx),
                                       "torch channels_last": lambda: c_fwd(tx_cl)})
    compare("eval forward, swiftnn.compile", {"swiftnn": lambda: s_comp(sx), "torch": lambda: t_fwd(tx),
                                               "torch channels_last": lambda: c_fwd(tx_cl)})
    against_onnxruntime(t_model, x, want)
    ls, lt = float(s_step(sx, sy)), float(t_step(tx, ty))
    c_step(tx_cl, ty)
    print(f"\nfirst training step's loss: swiftnn {ls:.5f}, torch {lt:.5f}")
    compare("training step", {"swiftnn": lambda: s_step(sx, sy), "torch": lambda: t_step(tx, ty),
                               "torch channels_last": lambda: c_step(tx_cl, ty)})


if __name__ == "__main__":
    main()
