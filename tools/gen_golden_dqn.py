#!/usr/bin/env python3
"""Writes Tests/golden/dqn_<case>.safetensors: two DQN updates computed by PyTorch on fixed
batches, for swiftnn's DQN agent (swiftnn/dqn.h) to reproduce in Swift, C and Python.

The network is the Nature DQN (conv 8x8/4, 4x4/2, 3x3/1, linear, linear; nn.Sequential names)
on small frames (36x36, 2 frames per state, hidden 16, 3 actions) to keep the file small. The
agent starts with the weights `<name>` and a target network synced to them; update 1 runs on
batch 1, update 2 on batch 2 (the target network still holds the start weights, so the
online and target networks differ there); each update is: targets r + gamma (1 - terminal)
Q_target(s', a*) with a* = argmax Q_online(s') (case `double`) or argmax Q_target(s')
(case `plain`), the smooth-L1 (Huber) loss of Q_online(s, a) against them (mean), backward,
gradient clipping to norm 10, Adam(lr 1e-3, eps 1.5e-4). States are uint8 frames divided by
255. Stored: the batches (`b<k>.states` ..., uint8/int64/float32), `b<k>.loss`, the gradients
`b<k>.grad.<name>` and the weights after the update `b<k>.after.<name>`. Run by hand (needs
torch); the outputs are committed."""
import os

import numpy as np
import torch
from safetensors.torch import save_file

H = W = 36
HISTORY, HIDDEN, ACTIONS, BATCH, GAMMA = 2, 16, 3, 5, 0.99


def network():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(HISTORY, 32, 8, 4), nn.ReLU(), nn.Conv2d(32, 64, 4, 2), nn.ReLU(),
                         nn.Conv2d(64, 64, 3, 1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, ACTIONS))


def batch(rng):
    # Structured frames (not pure noise) so the ReLUs are neither all on nor all off.
    base = rng.integers(0, 256, (BATCH, HISTORY, H, W)).astype(np.float64)
    s = np.clip(base * 0.5 + 60, 0, 255).astype(np.uint8)
    s2 = np.clip(np.roll(base, 3, axis=3) * 0.5 + 40, 0, 255).astype(np.uint8)
    return dict(states=s, actions=rng.integers(0, ACTIONS, BATCH).astype(np.int64),
                rewards=rng.choice([-1.0, 0.0, 1.0], BATCH).astype(np.float32),
                next_states=s2, terminal=np.array([0, 1, 0, 0, 1], dtype=np.uint8))


def main():
    out_dir = os.path.join(os.path.dirname(__file__), "..", "Tests", "golden")
    for case, seed in (("double", 7), ("plain", 8)):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        net, target = network(), network()
        with torch.no_grad():  # larger weights than the default so the Q-values spread
            for p in net.parameters():
                p.mul_(3.0)
        target.load_state_dict(net.state_dict())
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1.5e-4)
        out = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}
        for k in (1, 2):
            b = batch(rng)
            s = torch.from_numpy(b["states"]).float() / 255
            s2 = torch.from_numpy(b["next_states"]).float() / 255
            with torch.no_grad():
                a2 = (net(s2) if case == "double" else target(s2)).argmax(1, keepdim=True)
                y = torch.from_numpy(b["rewards"]) + GAMMA * (1 - torch.from_numpy(b["terminal"]).float()) * \
                    target(s2).gather(1, a2).squeeze(1)
            q = net(s).gather(1, torch.from_numpy(b["actions"])[:, None]).squeeze(1)
            loss = torch.nn.functional.smooth_l1_loss(q, y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
            for n, p in net.named_parameters():
                out[f"b{k}.grad.{n}"] = p.grad.detach().clone().contiguous()
            opt.step()
            for n, p in net.named_parameters():
                out[f"b{k}.after.{n}"] = p.detach().clone().contiguous()
            for n, v in b.items():
                out[f"b{k}.{n}"] = torch.from_numpy(v)
            out[f"b{k}.loss"] = loss.detach().reshape(1)
        path = os.path.join(out_dir, f"dqn_{case}.safetensors")
        save_file(out, path, metadata={"frame_height": str(H), "frame_width": str(W), "history": str(HISTORY),
                                        "hidden": str(HIDDEN), "actions": str(ACTIONS), "gamma": str(GAMMA)})
        print(f"wrote {path}: loss {out['b1.loss'].item():.6f}, {out['b2.loss'].item():.6f}")


if __name__ == "__main__":
    main()
