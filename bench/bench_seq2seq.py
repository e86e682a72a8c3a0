#!/usr/bin/env python3
"""Seq2Seq decoding throughput, SwiftNN vs PyTorch, same model and weights, same thread count.

    make lib && python3 bench/bench_seq2seq.py [--threads 2] [--batch 64] [--beam 5]
                                               [--attention general] [--cell lstm|gru]
                                               [--checkpoint build/g2p.safetensors]

The PyTorch side is tools/seq2seq_torch.py (the same maths, an eager per-step decoder loop as a
PyTorch user writes it: one decoder LSTM (or GRU) call + attention + output layer per step, batched over
rows for greedy and over the beam for beam search). Default model: G2P-sized (27 letters,
42 phonemes, embed 64, hidden 128 bidirectional -> decoder 256, general attention), random
weights unless --checkpoint is given; sources are random 4..12-token rows. Both decoders are
checked to give the same outputs first, then timed alternately (best of --repeat). Prints
sequences/s and the ratio SwiftNN / PyTorch (> 1: SwiftNN faster). Needs torch (bench only).
"""
import argparse
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--beam", type=int, default=5)
ap.add_argument("--beam-rows", type=int, default=16, help="rows decoded by beam search per run")
ap.add_argument("--max-length", type=int, default=20)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--attention", default="general", choices=["general", "dot", "none"])
ap.add_argument("--cell", default="lstm", choices=["lstm", "gru"])
ap.add_argument("--checkpoint", default=None)
args = ap.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402
from swiftnn import nn  # noqa: E402
from swiftnn.models import Seq2Seq  # noqa: E402
from seq2seq_torch import TorchSeq2Seq  # noqa: E402

torch.set_num_threads(args.threads)
swiftnn.set_num_threads(args.threads)

if args.checkpoint:
    ours = nn.load_model(args.checkpoint)
else:
    swiftnn.manual_seed(0)
    ours = Seq2Seq(30, 42, 64, 128, bidirectional=True, attention=None if args.attention == "none" else args.attention,
                   cell=args.cell)
cfg = dict(src_vocab=ours.src_vocab, tgt_vocab=ours.tgt_vocab, embed_dim=ours.embed_dim, hidden_size=ours.hidden_size,
           num_layers=ours.num_layers, bidirectional=ours.bidirectional,
           attention=None if ours.attention == "none" else ours.attention, cell=ours.cell)
theirs = TorchSeq2Seq(**cfg)
theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
theirs.eval()

rng = np.random.default_rng(0)
lens = rng.integers(4, 13, size=args.batch)
src = np.zeros((args.batch, 12), dtype=np.int64)
for i, n in enumerate(lens):
    src[i, :n] = rng.integers(3, cfg["src_vocab"], size=n)
s_ours, s_torch = swiftnn.from_numpy(src), torch.from_numpy(src)
beam_src = src[: args.beam_rows]


def best(fn):
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


g_ours = ours.greedy(s_ours, max_length=args.max_length)
g_torch = theirs.greedy(s_torch, args.max_length)
b_ours = ours.beam_search(swiftnn.from_numpy(beam_src), beam_width=args.beam, max_length=args.max_length)
b_torch = theirs.beam(torch.from_numpy(beam_src), args.beam, args.max_length)
agree_g = sum(a == b for a, b in zip(g_ours, g_torch))
agree_b = sum(a == b for a, b in zip(b_ours, b_torch))
print(f"model: {cfg}; threads {args.threads}")
print(f"outputs agree: greedy {agree_g}/{len(g_ours)}, beam {agree_b}/{len(b_ours)}")

tg_o = best(lambda: ours.greedy(s_ours, max_length=args.max_length))
tg_t = best(lambda: theirs.greedy(s_torch, args.max_length))
tb_o = best(lambda: ours.beam_search(swiftnn.from_numpy(beam_src), beam_width=args.beam, max_length=args.max_length))
tb_t = best(lambda: theirs.beam(torch.from_numpy(beam_src), args.beam, args.max_length))
print(f"greedy (batch {args.batch}):  SwiftNN {args.batch / tg_o:8.1f} seq/s   PyTorch {args.batch / tg_t:8.1f} seq/s   "
      f"ratio {tg_t / tg_o:.2f}x")
print(f"beam {args.beam} ({len(beam_src)} rows): SwiftNN {len(beam_src) / tb_o:8.1f} seq/s   PyTorch {len(beam_src) / tb_t:8.1f} seq/s   "
      f"ratio {tb_t / tb_o:.2f}x")
