#!/usr/bin/env python3
"""The Nature DQN network (conv 8x8/4 32, 4x4/2 64, 3x3/1 64, linear 3136->512->6 on 4x84x84)
side by side with PyTorch in one process: the update step at batch 32 (online net forward,
target net forward without grad, Huber loss on the taken actions' Q-values, backward, Adam) and
the acting forward at batch 1 from Python (no grad, argmax).

    make lib && python3 bench/bench_dqn.py [--rounds 5] [--threads 2]

Each round times both in turn (median of the round's calls); printed: the median over rounds
of each one's time and of the per-round ratio (> 1: swiftnn faster). Synthetic frames.
"""
import argparse
import os
import statistics
import time

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS, median_call  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)
GAMMA = 0.99


def make(lib, nn, F, optim, seed_state):
    net, target = cnn_models.dqn(nn), cnn_models.dqn(nn)
    net.load_state_dict(seed_state)
    target.load_state_dict(seed_state)
    opt = optim.Adam(net.parameters(), lr=1e-4)

    def updater(target_net):
        def update(s, a, r, s2, done):
            with lib.no_grad():
                best = target_net(s2).max(1)[0]
                y = r + GAMMA * best * (1 - done)
            q = net(s).gather(1, a).squeeze(1)
            loss = F.smooth_l1_loss(q, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.detach()
        return update

    update = updater(target)

    def act(frame):
        with lib.no_grad():
            return int(net(frame).argmax(1)[0])

    if lib is not swiftnn:
        return update, act, None, None
    # The same acting through swiftnn.compile: the traced network in the inference plan, on
    # the live parameters (it sees every Adam step); and the update with the target network's
    # grad-free forward compiled (its copy from the online network is an in-place write, seen).
    net_c, target_c = swiftnn.compile(net), swiftnn.compile(target)

    def act_compiled(frame):
        with lib.no_grad():
            return int(net_c(frame).argmax(1)[0])

    return update, act, act_compiled, updater(target_c)



def main():
    rng = np.random.default_rng(0)
    state = {k: v.detach().numpy().copy() for k, v in cnn_models.dqn(torch.nn).state_dict().items()}
    batch = [rng.random((32, 4, 84, 84), dtype=np.float32), rng.integers(0, 6, (32, 1)).astype(np.int64),
             rng.standard_normal(32).astype(np.float32), rng.random((32, 4, 84, 84), dtype=np.float32),
             (rng.random(32) < 0.1).astype(np.float32)]
    frame = rng.random((1, 4, 84, 84), dtype=np.float32)

    t_update, t_act, _, _ = make(torch, torch.nn, torch.nn.functional, torch.optim, {k: torch.from_numpy(v) for k, v in state.items()})
    s_update, s_act, s_act_c, s_update_c = make(swiftnn, swiftnn.nn, swiftnn.nn.functional, swiftnn.optim, state)
    tb = [torch.from_numpy(a) for a in batch]
    sb = [swiftnn.from_numpy(a) for a in batch]
    tf, sf = torch.from_numpy(frame), swiftnn.from_numpy(frame)
    # same weights, same batch: the first losses agree
    lt, ls = float(t_update(*tb)), float(s_update(*sb))
    print(f"first update's loss: torch {lt:.6f}, swiftnn {ls:.6f}; acting: torch {t_act(tf)}, swiftnn {s_act(sf)}, "
          f"compiled {s_act_c(sf)}")

    fns = {"update torch": lambda: t_update(*tb), "update swiftnn": lambda: s_update(*sb),
           "act torch": lambda: t_act(tf), "act swiftnn": lambda: s_act(sf), "act swiftnn.compile": lambda: s_act_c(sf),
           "update swiftnn.compile": lambda: s_update_c(*sb)}
    calls = {"update": 10, "act": 200}
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            time.sleep(0.2)
            times[name].append(median_call(fn, calls[name.split()[0]]))
    print(f"\nNature DQN, threads={THREADS}, {args.rounds} alternating rounds (median ms; ratio > 1: swiftnn faster)")
    for what in ("update", "act"):
        t, s = times[f"{what} torch"], times[f"{what} swiftnn"]
        ratio = statistics.median(a / b for a, b in zip(t, s))
        label = "update step, batch 32, Adam" if what == "update" else "acting forward, batch 1"
        print(f"{label:30s} swiftnn {statistics.median(s) * 1e3:8.3f} ms   torch {statistics.median(t) * 1e3:8.3f} ms   ratio {ratio:5.2f}x")
    for what, label in (("update", "update, target compiled"), ("act", "acting, swiftnn.compile")):
        c, t = times[f"{what} swiftnn.compile"], times[f"{what} torch"]
        ratio = statistics.median(a / b for a, b in zip(t, c))
        print(f"{label:30s} swiftnn {statistics.median(c) * 1e3:8.3f} ms   torch {statistics.median(t) * 1e3:8.3f} ms   ratio {ratio:5.2f}x")


if __name__ == "__main__":
    main()
