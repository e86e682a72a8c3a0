#!/usr/bin/env python3
"""A character-level LSTM language model (char-RNN) with the Python binding: train
Embedding -> 2-layer LSTM -> Linear on a text with truncated BPTT (in the engine), measure
train and validation bits per character every few hundred steps, draw the bpc curves to a PNG,
save a checkpoint, reload it and sample with a temperature and a priming string.

    python3 examples/python/charrnn.py [--text data/text/shakespeare.txt] [--steps 2000]
                                       [--plot build/charrnn_bpc.png] [--smoke]
    python3 examples/python/charrnn.py --sample CKPT [--prime "ROMEO."] [--temperature 0.8] [--n 500]

Get the corpora with `tools/setup.sh && make data`.
"""
import argparse
import math
import os
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import swiftnn  # noqa: E402
from swiftnn.models import CharRNN  # noqa: E402

FALLBACK = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
            "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n") * 40


def plot(curve: list[tuple[int, float, float]], path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: matplotlib is not installed (pip install matplotlib); skipping", path)
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = [c[0] for c in curve]
    ax.plot(steps, [c[1] for c in curve], label="train (running mean)")
    ax.plot(steps, [c[2] for c in curve], label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("bits per character")
    ax.set_title("char-RNN (SwiftNN)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print("plot:", path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", default="data/text/shakespeare.txt")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seq", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--plot", default="build/charrnn_bpc.png")
    ap.add_argument("--out", default="build/charrnn_python.safetensors")
    ap.add_argument("--sample", metavar="CKPT", help="only sample from this checkpoint")
    ap.add_argument("--prime", default="ROMEO.\n")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--smoke", action="store_true", help="a few steps on a 20 KB slice")
    args = ap.parse_args()

    if args.sample:
        print(CharRNN.load(args.sample).sample(args.prime, args.n, args.temperature, args.seed))
        return 0
    if os.path.exists(args.text):
        text = open(args.text, "rb").read()
    elif args.smoke:
        text, args.text = FALLBACK.encode(), "(built-in snippet)"
    else:
        sys.exit(f"charrnn: cannot read {args.text}; fetch the corpora first with `tools/setup.sh && make data`")
    if args.smoke:
        text = text[:20000]
        args.steps, args.eval_every, args.hidden, args.seq, args.batch, args.n, args.prime = 6, 3, 32, 32, 4, 80, "A"
    n_val = len(text) // 20
    train, val = text[:-n_val], text[-n_val:]
    swiftnn.manual_seed(1)
    vocab = CharRNN.vocab_of(text)
    print(f"text {args.text}: {len(text)} characters ({len(train)} train, {len(val)} validation), vocabulary {len(vocab)}")
    model = CharRNN(vocab, embed=16 if args.smoke else 64, hidden=args.hidden, layers=2)
    curve: list[tuple[int, float, float]] = []
    losses: list[float] = []
    start = time.time()

    def progress(p: dict[str, Any]) -> None:
        print(f"\rstep {p['global_step']}/{args.steps}  loss {p['bpc']:.3f} bpc  {p['chars_per_second']:.0f} chars/s"
              f"  elapsed {time.time() - start:.0f}s", end="", flush=True)

    done, pos = 0, 0
    while done < args.steps:
        k = min(args.eval_every, args.steps - done)
        # Each call cuts its batch streams from the slice it is given, so consecutive calls
        # take consecutive slices of k steps' worth of text (wrapping around at the end).
        need = args.batch * (k * args.seq + 1)
        if pos + need > len(train):
            pos = 0
        part = train[pos:pos + need] if need <= len(train) else train
        pos += need
        losses += model.fit(part, seq_len=args.seq, batch_size=args.batch, epochs=1000, max_steps=k, lr=args.lr,
                            report_every=10, progress=progress)
        done += k
        window = losses[-k:]
        vb = model.evaluate(val, seq_len=100, batch_size=2 if args.smoke else 16)
        curve.append((done, sum(window) / len(window) / math.log(2), vb))
        print(f"\nstep {done}: train {curve[-1][1]:.3f} bpc, validation {vb:.3f} bpc")
    print(f"trained {done} steps in {time.time() - start:.0f}s")
    plot(curve, args.plot)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    model.save(args.out)
    again = CharRNN.load(args.out)
    a = model.sample(args.prime, args.n, args.temperature, args.seed)
    b = again.sample(args.prime, args.n, args.temperature, args.seed)
    print(f"checkpoint {args.out} reloaded; sample (temperature {args.temperature}, "
          f"{'identical after reload' if a == b else 'DIFFERENT after reload'}):\n{b}")
    return 0 if a == b else 1


if __name__ == "__main__":
    sys.exit(main())
