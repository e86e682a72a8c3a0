#!/usr/bin/env python3
"""Grapheme-to-phoneme conversion on CMUdict with swiftnn.models.Seq2Seq: letters in,
ARPAbet phonemes out (stress digits stripped, 39 phonemes). Trains in the engine with a
progress line (loss, words/s, ETA) within a time budget, then reports word error rate (WER)
and phoneme error rate (PER, edit distance) on held-out words with greedy and beam decoding,
and saves the checkpoint (weights, architecture, both vocabularies) for examples/c/g2p.c.

    python3 examples/python/g2p.py [--attention general|dot|none|both] [--cell lstm|gru] [--minutes 10]
                                   [--out build/g2p.safetensors] [--test-words 0 (all)]
                                   [--plot build/g2p_loss.png] [--smoke] [--distributed]
    mpirun -np 2 python3 examples/python/g2p.py --distributed    (data-parallel, see below)

The learning rate follows a cosine from --lr down to 5% of it over the time budget (or the
epochs, if they end first).

--attention both trains one model with attention and one without (each for --minutes) and
prints both; the checkpoint saved is the attention one.

--distributed trains data-parallel under mpirun (DistributedDataParallel, Seq2Seq.fit(ddp=)):
--batch-size stays the global batch (rounded up to a multiple of the ranks; each rank takes
rows rank::N of every batch); the learning rate then follows a cosine over the epochs
(CosineAnnealingLR, stepped by the engine on every rank) instead of the time budget, since
only rank 0 runs the progress callback; its stop at the time budget reaches every rank. Rank 0
alone evaluates, saves and plots.
"""
import argparse
import math
import os
import sys
import time
from typing import Any, Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
sys.path.insert(0, HERE)
import swiftnn  # noqa: E402
from swiftnn import nn  # noqa: E402
from swiftnn.models import Seq2Seq  # noqa: E402
import g2p_data as D  # noqa: E402


def train(attention: str, train_pairs: list[D.Pair], letters: list[str], phones: list[str],
          args: argparse.Namespace) -> tuple[Seq2Seq, list[float]]:
    swiftnn.manual_seed(0)
    m = Seq2Seq(len(letters), len(phones), args.embed, args.hidden, bidirectional=True,
                attention=None if attention == "none" else attention, cell=args.cell)
    m.set_tokens(src_tokens=letters, tgt_tokens=phones)
    src = np.array(D.encode([w for w, _ in train_pairs], letters), dtype=np.int64)
    tgt = np.array(D.encode([p for _, p in train_pairs], phones), dtype=np.int64)
    opt = swiftnn.optim.Adam(m.parameters(), lr=args.lr)
    ddp = scheduler = None
    if args.distributed:  # rank 0's weights everywhere; the LR schedule must not depend on rank 0's clock
        from swiftnn.nn.parallel import DistributedDataParallel
        ddp = DistributedDataParallel(m)
        scheduler = swiftnn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=0.05 * args.lr)
    deadline = time.time() + args.minutes * 60
    state = {"stopped": False}

    def progress(p: Any) -> bool:
        left = deadline - time.time()
        # Cosine decay over the run, which ends at the time budget or the last epoch, whichever
        # comes first: a budgeted run ends annealed, whatever its speed.
        done = min(1.0, max(1.0 - left / (args.minutes * 60), p.global_step / max(1, p.epochs * p.steps_per_epoch)))
        if ddp is None:
            opt.param_groups[0]["lr"] = args.lr * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * done)))
        print(f"\r[{attention}] epoch {p.epoch}/{p.epochs} step {p.step}/{p.steps_per_epoch} "
              f"loss {p.loss:.3f} {p.samples_per_second:.0f} words/s elapsed {p.elapsed_seconds:.0f}s "
              f"ETA {min(p.eta_seconds, max(left, 0)):.0f}s (budget left {max(left, 0):.0f}s)   ", end="", flush=True)
        if left <= 0:
            state["stopped"] = True
            return False
        return True

    t0 = time.time()
    hist = m.fit(swiftnn.from_numpy(src), swiftnn.from_numpy(tgt), opt, epochs=args.epochs, batch_size=args.batch_size,
                 seed=1, max_grad_norm=5.0, report_every=20, progress=progress, scheduler=scheduler, ddp=ddp)
    print(f"\n[{attention}] trained {len(hist)} steps ({len(hist) * args.batch_size / len(src):.2f} epochs) "
          f"in {time.time() - t0:.0f}s{' (time budget reached)' if state['stopped'] else ''}; "
          f"final loss {np.mean(hist[-20:]):.3f}")
    return m, hist


def evaluate(m: Any, test_pairs: list[D.Pair], letters: list[str], phones: list[str], beam_width: int,
             batch: int = 256) -> dict[str, tuple[float, float, float]]:
    ref = [p for _, p in test_pairs]
    results: dict[str, tuple[float, float, float]] = {}
    decoders: list[tuple[str, Callable[[swiftnn.Tensor], list[list[int]]]]] = [
        ("greedy", lambda s: m.greedy(s, max_length=32)),
        (f"beam{beam_width}", lambda s: m.beam_search(s, beam_width=beam_width, max_length=32, length_penalty=0.6))]
    for name, decode in decoders:
        t0 = time.time()
        pred: list[list[str]] = []
        for i in range(0, len(test_pairs), batch):
            words = [w for w, _ in test_pairs[i:i + batch]]
            src = swiftnn.from_numpy(np.array(D.encode(words, letters), dtype=np.int64))
            pred += [[phones[t] for t in row] for row in decode(src)]
        wer, per = D.error_rates(pred, ref)
        results[name] = (wer, per, len(test_pairs) / (time.time() - t0))
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attention", default="general", choices=["general", "dot", "none", "both"])
    ap.add_argument("--cell", default="lstm", choices=["lstm", "gru"], help="encoder and decoder recurrent layer")
    ap.add_argument("--minutes", type=float, default=10.0, help="training time budget per model")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--test-words", type=int, default=0, help="held-out words evaluated (0: all 6,246)")
    ap.add_argument("--out", default="build/g2p.safetensors")
    ap.add_argument("--plot", default="build/g2p_loss.png", help="training-loss curves (PNG; needs matplotlib)")
    ap.add_argument("--smoke", action="store_true", help="tiny model, 2,000 words, a few seconds")
    ap.add_argument("--distributed", action="store_true", help="data-parallel under mpirun (see above)")
    args = ap.parse_args()
    swiftnn.set_num_threads(1)
    rank = 0
    if args.distributed:
        import swiftnn.distributed as dist
        dist.init_process_group(backend="mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
        args.batch_size += -args.batch_size % world  # every rank the same number of rows
        if rank != 0:
            sys.stdout = open(os.devnull, "w")  # rank 0 speaks for all
        print(f"data-parallel on {world} ranks: global batch {args.batch_size}")

    pairs = D.load_pairs()
    train_pairs, test_pairs = D.split(pairs)
    letters, phones = D.vocabularies(pairs)
    print(f"CMUdict: {len(pairs)} words ({len(train_pairs)} train, {len(test_pairs)} test, split by word, seed 1234); "
          f"{len(letters) - 3} letters, {len(phones) - 3} phonemes (stress stripped)")
    if args.smoke:
        train_pairs, test_pairs = train_pairs[:2000], test_pairs[:100]
        args.embed, args.hidden, args.epochs, args.minutes = 16, 32, 1, 1.0
        args.out = "build/g2p_smoke.safetensors"
    if args.test_words:
        test_pairs = test_pairs[: args.test_words]
    kinds = ["general", "none"] if args.attention == "both" else [args.attention]
    saved = False
    curves: dict[str, list[float]] = {}
    for kind in kinds:
        m, curves[kind] = train(kind, train_pairs, letters, phones, args)
        if rank != 0:
            continue  # rank 0 alone evaluates and saves
        for name, (wer, per, wps) in evaluate(m, test_pairs, letters, phones, args.beam).items():
            print(f"[{kind}] {name:7s} on {len(test_pairs)} held-out words: WER {wer:.1f}%  PER {per:.1f}%  ({wps:.0f} words/s)")
        if not saved:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            nn.save_model(m, args.out)
            m2 = nn.load_model(args.out)
            words = [w for w, _ in test_pairs[:16]]
            src = swiftnn.from_numpy(np.array(D.encode(words, letters), dtype=np.int64))
            assert m2.greedy(src) == m.greedy(src), "reloaded checkpoint decodes differently"
            print(f"saved {args.out} (reloaded: identical decodes)")
            for w, p in zip(words[:5], m.beam_search(src, beam_width=args.beam, length_penalty=0.6)):
                print(f"  {w:>12s} -> {' '.join(phones[t] for t in p)}")
            saved = True
    if args.plot and rank == 0:
        plot(curves, args.plot, len(train_pairs) / args.batch_size)
    if args.distributed:
        dist.destroy_process_group()


def plot(curves: dict[str, list[float]], path: str, steps_per_epoch: float) -> None:
    """Training loss per step (smoothed over 50 steps) of each model, against epochs."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: matplotlib is not installed; skipping", path)
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    for kind, hist in curves.items():
        h = np.asarray(hist, dtype=np.float64)
        k = min(50, max(1, len(h)))
        smooth = np.convolve(h, np.ones(k) / k, mode="valid")
        ax.plot((np.arange(len(smooth)) + k) / steps_per_epoch, smooth,
                label="no attention" if kind == "none" else f"{kind} attention")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy per phoneme)")
    ax.set_yscale("log")
    ax.set_title("G2P on CMUdict (SwiftNN Seq2Seq)")
    ax.grid(alpha=0.3)
    ax.legend()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
