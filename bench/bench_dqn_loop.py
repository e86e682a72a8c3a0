#!/usr/bin/env python3
"""The whole DQN training loop on real Atari Pong, SwiftNN against the same loop in PyTorch, in
one process, alternating: emulator frames per second of acting (epsilon-greedy, batch-1
forward), stepping the emulator (ale-py, frame skip 4, the same AtariEnv and frame
preprocessing for both), storing the transition, and every 4 steps one update (sample 32
transitions, assemble the 4-frame stacks, Double DQN targets, Huber loss, backward, gradient
clipping, Adam), target syncs every 2,000 steps.

    make lib && python3 bench/bench_dqn_loop.py [--rounds 3] [--steps 1000] [--threads 2]

SwiftNN's loop runs in the engine (swiftnn.rl.DQN.train, Python only steps the emulator);
PyTorch's is written the usual way: a numpy replay buffer that stores each frame once (as
Stable-Baselines3's memory-optimized buffer does), torch tensors built per batch. Both start
with 5,000 random steps in their buffers (not timed), then each round times --steps steps of
each. Printed: per round both rates and the ratio (> 1: swiftnn faster), then the median.
"""
import argparse
import os
import statistics
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--steps", type=int, default=1000)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "python"))
from atari_env import AtariEnv  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)
WARM, GAMMA, BATCH, TRAIN_EVERY, TARGET_EVERY, CAP = 5_000, 0.99, 32, 4, 2_000, 50_000


class TorchDQN:
    """The same agent in PyTorch: frames stored once, stacks gathered per batch."""

    def __init__(self, n_actions, seed=0):
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.net, self.target = cnn_models.dqn(torch.nn, n_actions), cnn_models.dqn(torch.nn, n_actions)
        self.target.load_state_dict(self.net.state_dict())
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-4, eps=1.5e-4)
        self.n = n_actions
        self.frames = np.zeros((CAP, 84, 84), dtype=np.uint8)
        self.actions = np.zeros(CAP, dtype=np.int64)
        self.rewards = np.zeros(CAP, dtype=np.float32)
        self.done = np.zeros(CAP, dtype=np.float32)
        self.start = np.zeros(CAP, dtype=bool)  # slot begins an episode
        self.cursor = self.size = self.steps = 0
        self.stack = np.zeros((4, 84, 84), dtype=np.uint8)
        self.env_frames = 0

    def _stacks(self, idx):
        # frames idx-3..idx, zeroed before an episode start
        offs = (idx[:, None] + np.arange(-3, 1)[None, :]) % CAP
        out = self.frames[offs]
        starts = self.start[offs]
        for k in range(3, 0, -1):  # a start at position k zeroes positions < k
            out[starts[:, k], :k] = 0
        return out

    def update(self):
        idx = self.rng.integers(3, self.size - 1, BATCH)
        s = torch.from_numpy(self._stacks(idx)).float().div_(255)
        s2 = torch.from_numpy(self._stacks(idx + 1)).float().div_(255)
        a = torch.from_numpy(self.actions[idx])[:, None]
        with torch.no_grad():
            a2 = self.net(s2).argmax(1, keepdim=True)
            y = torch.from_numpy(self.rewards[idx]) + GAMMA * (1 - torch.from_numpy(self.done[idx])) * \
                self.target(s2).gather(1, a2).squeeze(1)
        q = self.net(s).gather(1, a).squeeze(1)
        loss = torch.nn.functional.smooth_l1_loss(q, y)
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 10.0)
        self.opt.step()

    def run(self, env, steps, epsilon, learn):
        for _ in range(steps):
            if self.steps == 0 or self._ended:
                f, used = env.reset(0)
                self.stack[:] = 0
                self.stack[3] = f
                self.frames[self.cursor], self.start[self.cursor] = f, True
                self.env_frames += used
            if self.rng.random() < epsilon:
                a = int(self.rng.integers(self.n))
            else:
                with torch.no_grad():
                    a = int(self.net(torch.from_numpy(self.stack[None]).float().div_(255)).argmax(1)[0])
            f, r, term, end, used = env.step(a)
            c = self.cursor
            self.actions[c], self.rewards[c], self.done[c] = a, np.sign(r), float(term)
            self.cursor = (c + 1) % CAP
            self.size = min(self.size + 1, CAP)
            self._ended = end
            if not end:
                self.frames[self.cursor], self.start[self.cursor] = f, False
                self.stack[:3] = self.stack[1:]
                self.stack[3] = f
            self.steps += 1
            self.env_frames += used
            if learn and self.steps % TRAIN_EVERY == 0:
                self.update()
            if learn and self.steps % TARGET_EVERY == 0:
                self.target.load_state_dict(self.net.state_dict())

    _ended = False


def main():
    env_s, env_t = AtariEnv("pong", seed=1), AtariEnv("pong", seed=1)
    swiftnn.manual_seed(0)
    agent = swiftnn.rl.DQN(env_s.n_actions, replay_capacity=CAP, learning_starts=WARM, train_every=TRAIN_EVERY,
                           target_update_every=TARGET_EVERY, epsilon_decay_steps=1, epsilon_end=0.05, noop_max=0)
    ref = TorchDQN(env_t.n_actions)
    # warm-up: WARM random steps each (not timed); the engine's learning starts right after
    agent.train(env_s, total_frames=WARM * 4)
    ref.run(env_t, WARM, 1.0, learn=False)
    ratios = []
    print(f"threads {THREADS}; {args.steps} steps (x4 emulator frames) per round; frames per second:")
    for r in range(args.rounds):
        f0, t0 = agent.stats["frames"], time.perf_counter()
        agent.train(env_s, total_frames=f0 + args.steps * 4)
        s_fps = (agent.stats["frames"] - f0) / (time.perf_counter() - t0)
        f0, t0 = ref.env_frames, time.perf_counter()
        ref.run(env_t, args.steps, 0.05, learn=True)
        t_fps = (ref.env_frames - f0) / (time.perf_counter() - t0)
        ratios.append(s_fps / t_fps)
        print(f"  round {r + 1}: swiftnn {s_fps:7.0f}  pytorch {t_fps:7.0f}  ratio {s_fps / t_fps:.2f}x", flush=True)
    print(f"median ratio {statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}x)")


if __name__ == "__main__":
    main()
