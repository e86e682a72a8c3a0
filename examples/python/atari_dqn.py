#!/usr/bin/env python3
"""DQN on Atari (the lecture's "playing Atari games"): the Nature network trained in the engine
(swiftnn.rl.DQN), Python driving the Arcade Learning Environment (examples/python/atari_env.py).

    python3 examples/python/atari_dqn.py train --game pong --frames 3000000 --run runs/pong
    python3 examples/python/atari_dqn.py train --run runs/pong --frames 4000000   # resumes exactly
    python3 examples/python/atari_dqn.py evaluate --run runs/pong --episodes 30     # + random policy
    python3 examples/python/atari_dqn.py plot --run runs/pong --out docs/dqn_pong.png
    python3 examples/python/atari_dqn.py play --run runs/pong                      # one game, prints the score
    python3 examples/python/atari_dqn.py onnx --run runs/pong                      # onnxruntime picks the same actions
    python3 examples/python/atari_dqn.py smoke                                     # make test: a few thousand frames

`train` checkpoints (networks, optimizer, replay buffer, schedule, generator) at episode ends
to RUN/agent.dqn and appends each finished episode to RUN/episodes.csv; touching RUN/STOP stops
it at the next episode end. Frames are emulator frames (4 per action).
"""
import argparse
import os
import sys
import time
from typing import Any, Dict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import swiftnn  # noqa: E402
from atari_env import AtariEnv  # noqa: E402


def fmt_time(s: float) -> str:
    n = int(s)
    return f"{n // 3600}:{n % 3600 // 60:02d}:{n % 60:02d}"


def make_agent(args: argparse.Namespace, n_actions: int) -> swiftnn.rl.DQN:
    return swiftnn.rl.DQN(n_actions, replay_capacity=args.replay, batch_size=32, lr=args.lr,
                          learning_starts=args.learning_starts, train_every=args.train_every,
                          target_update_every=args.target_update, epsilon_decay_steps=args.epsilon_decay,
                          epsilon_end=0.01, double_dqn=not args.no_double, seed=args.seed)


def write_episodes(agent: swiftnn.rl.DQN, path: str) -> None:
    returns, ends = agent.episodes
    with open(path + ".tmp", "w") as f:
        f.write("episode,end_frame,return\n")
        for i, (r, e) in enumerate(zip(returns, ends)):
            f.write(f"{i + 1},{e},{r:g}\n")
    os.replace(path + ".tmp", path)


def train(args: argparse.Namespace) -> None:
    os.makedirs(args.run, exist_ok=True)
    ckpt = os.path.join(args.run, "agent.dqn")
    env = AtariEnv(args.game, terminal_on_life_loss=args.life_loss, seed=args.seed)
    if os.path.exists(ckpt):
        agent = swiftnn.rl.DQN.load(ckpt)
        print(f"resuming {ckpt}: {agent.stats['frames']:,} frames, {agent.stats['episodes']} episodes", flush=True)
    else:
        swiftnn.manual_seed(args.seed)
        agent = make_agent(args, env.n_actions)
    stop = os.path.join(args.run, "STOP")
    if os.path.exists(stop):
        os.remove(stop)

    def progress(p: Dict[str, Any]) -> bool:
        print(f"frames {p['frames']:>10,} / {p['total_frames']:,}  episodes {p['episodes']:>5}  "
              f"eps {p['epsilon']:.3f}  loss {p['loss']:.4f}  return(last 100) {p['mean_return_100']:6.2f}  "
              f"{p['frames_per_second']:6.0f} frames/s  elapsed {fmt_time(p['elapsed_seconds'])}  "
              f"ETA {fmt_time(p['eta_seconds'])}", flush=True)
        write_episodes(agent, os.path.join(args.run, "episodes.csv"))
        return not os.path.exists(stop)

    agent.train(env, total_frames=args.frames, max_seconds=args.max_minutes * 60, report_every=args.report_every,
                checkpoint_every=args.checkpoint_every, checkpoint_path=ckpt, progress=progress)
    write_episodes(agent, os.path.join(args.run, "episodes.csv"))
    s = agent.stats
    print(f"stopped at {s['frames']:,} frames ({s['episodes']} episodes, {s['updates']:,} updates) after "
          f"{fmt_time(s['train_seconds'])} of training; checkpoint {ckpt}", flush=True)
    total = max(s["train_seconds"], 1e-9)
    print(f"time: updates {100 * s['update_seconds'] / total:.0f}%, choosing actions {100 * s['act_seconds'] / total:.0f}%, "
          f"emulator and frame preprocessing {100 * s['env_seconds'] / total:.0f}%, the rest (replay writes, "
          f"bookkeeping, progress) {100 * (total - s['update_seconds'] - s['act_seconds'] - s['env_seconds']) / total:.0f}%",
          flush=True)


def evaluate(args: argparse.Namespace) -> None:
    env = AtariEnv(args.game, max_episode_frames=108_000, seed=args.seed + 1)
    agent = swiftnn.rl.DQN.load(os.path.join(args.run, "agent.dqn"))
    lines = []
    for name, eps in (("trained policy", args.epsilon), ("random policy", 1.0)):
        t0 = time.perf_counter()
        r = np.array(agent.evaluate(env, episodes=args.episodes, epsilon=eps, seed=args.seed + 7))
        line = (f"{name:15s} epsilon {eps:.2f}: mean return {r.mean():6.2f} +- {r.std(ddof=1) / np.sqrt(len(r)):.2f} "
                f"(std {r.std(ddof=1):.2f}, min {r.min():g}, max {r.max():g}) over {len(r)} episodes "
                f"with up to 30 no-op starts, {time.perf_counter() - t0:.0f} s")
        print(line, flush=True)
        lines.append(line)
    s = agent.stats
    with open(os.path.join(args.run, "evaluation.txt"), "w") as f:
        f.write(f"checkpoint after {s['frames']:,} training frames, {s['updates']:,} updates, "
                f"{fmt_time(s['train_seconds'])} of training\n" + "\n".join(lines) + "\n")


def play(args: argparse.Namespace) -> None:
    env = AtariEnv(args.game, max_episode_frames=108_000, seed=args.seed + 2)
    agent = swiftnn.rl.DQN.load(os.path.join(args.run, "agent.dqn"))
    r = agent.evaluate(env, episodes=1, epsilon=args.epsilon, seed=args.seed)
    print(f"score: {r[0]:g} (the agent's points minus the opponent's)")


def onnx_check(args: argparse.Namespace) -> None:
    """Exports the trained network to ONNX and checks that onnxruntime picks the same actions
    on frames recorded from the agent's own play."""
    import onnxruntime as ort  # type: ignore[import-untyped]
    env = AtariEnv(args.game, seed=args.seed + 3)
    agent = swiftnn.rl.DQN.load(os.path.join(args.run, "agent.dqn"))
    path = os.path.join(args.run, "policy.onnx")
    swiftnn.onnx.export(agent.network, swiftnn.zeros(1, agent.history, *agent.frame_size), path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    frame, _ = env.reset(0)
    stack = np.zeros((agent.history,) + agent.frame_size, dtype=np.uint8)
    stack[-1] = frame
    rng = np.random.default_rng(args.seed)
    same, worst, n = 0, 0.0, args.onnx_steps
    for _ in range(n):
        q = agent.q_values(stack)
        qo = sess.run(None, {name: stack[None].astype(np.float32) / 255})[0][0]
        same += int(np.argmax(q) == np.argmax(qo))
        worst = max(worst, float(np.abs(q - qo).max()))
        a = int(np.argmax(q)) if rng.random() >= 0.05 else int(rng.integers(agent.n_actions))
        frame, _, _, end, _ = env.step(a)
        if end:
            frame, _ = env.reset(0)
            stack[:] = 0
        stack = np.roll(stack, -1, axis=0)
        stack[-1] = frame
    line = (f"ONNX ({path}): onnxruntime {ort.__version__} picks the same action on {same}/{n} recorded states; "
            f"largest Q-value difference {worst:.2e}")
    print(line)
    with open(os.path.join(args.run, "onnx_check.txt"), "w") as f:
        f.write(line + "\n")
    if same != n:
        raise SystemExit("onnxruntime disagreed with the engine")


def plot(args: argparse.Namespace) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    data = np.loadtxt(os.path.join(args.run, "episodes.csv"), delimiter=",", skiprows=1, ndmin=2)
    frames, returns = data[:, 1], data[:, 2]
    k = min(20, len(returns))
    smooth = np.convolve(returns, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(frames / 1e6, returns, ".", ms=3, alpha=0.4, label="episode return")
    ax.plot(frames[k - 1:] / 1e6, smooth, lw=2, label=f"mean of the last {k} episodes")
    if args.baseline:  # an earlier run's smoothed curve beside this one, e.g. other settings
        path, _, label = args.baseline.partition(":")
        other = np.loadtxt(os.path.join(path, "episodes.csv"), delimiter=",", skiprows=1, ndmin=2)
        kb = min(20, len(other))
        ax.plot(other[kb - 1:, 1] / 1e6, np.convolve(other[:, 2], np.ones(kb) / kb, mode="valid"), lw=1.5,
                color="gray", label=label or f"{path}: mean of the last {kb} episodes")
    ax.axhline(0, color="gray", lw=0.8)
    ax.set_xlabel("emulator frames (millions)")
    ax.set_ylabel("return (points won - points lost)")
    ax.set_title(f"DQN on {args.game.capitalize()} in SwiftNN (Nature network, Double DQN, Adam)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


def smoke(args: argparse.Namespace) -> None:
    """A few thousand frames with small schedules: the loop, the checkpoint, exact resumption
    (a run stopped and resumed ends with the same weights as one that was not), evaluation."""
    import tempfile
    env = AtariEnv(args.game, max_episode_frames=1_000, seed=0)
    kw: Dict[str, Any] = dict(replay_capacity=3_000, learning_starts=200, train_every=4, target_update_every=100,
              epsilon_decay_steps=600, seed=3)
    with tempfile.TemporaryDirectory() as d:
        swiftnn.manual_seed(0)
        a = swiftnn.rl.DQN(env.n_actions, **kw)
        a.train(env, total_frames=2_000, checkpoint_every=1, checkpoint_path=os.path.join(d, "a.dqn"))
        a = swiftnn.rl.DQN.load(os.path.join(d, "a.dqn"))
        a.train(env, total_frames=4_000)
        swiftnn.manual_seed(0)
        b = swiftnn.rl.DQN(env.n_actions, **kw)
        b.train(env, total_frames=4_000)
        wa = {k: v.detach().numpy() for k, v in a.network.state_dict().items()}
        wb = {k: v.detach().numpy() for k, v in b.network.state_dict().items()}
        same = all(np.array_equal(wa[k], wb[k]) for k in wa)
        print(f"smoke: {a.stats['frames']} frames, {a.stats['updates']} updates, {a.stats['episodes']} episodes; "
              f"resumed run equals uninterrupted run: {same}")
        counts = [k for k in a.stats if not k.endswith("_seconds")]
        assert all(a.stats[k] == b.stats[k] for k in counts), (a.stats, b.stats)
        assert same, "a run resumed from its checkpoint diverged from the uninterrupted run"
        r = a.evaluate(env, episodes=2, epsilon=0.05, max_frames_per_episode=500)
        assert len(r) == 2 and all(np.isfinite(r))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", nargs="?", choices=["train", "evaluate", "play", "plot", "onnx", "smoke"])
    ap.add_argument("--smoke", action="store_true", help="the smoke mode (as `smoke`), for make test")
    ap.add_argument("--game", default="pong")
    ap.add_argument("--run", default="runs/pong")
    ap.add_argument("--frames", type=int, default=3_000_000, help="train until this many emulator frames in all")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop training after this long (0: no limit)")
    ap.add_argument("--replay", type=int, default=10_000)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--learning-starts", type=int, default=10_000, help="steps (actions) before the first update")
    ap.add_argument("--train-every", type=int, default=1, help="steps per update (1: every step)")
    ap.add_argument("--target-update", type=int, default=1_000, help="steps between target syncs")
    ap.add_argument("--epsilon-decay", type=int, default=150_000, help="steps of linear epsilon decay to 0.01")
    ap.add_argument("--no-double", action="store_true", help="plain DQN targets instead of Double DQN")
    ap.add_argument("--life-loss", action="store_true", help="a lost life is terminal in training")
    ap.add_argument("--checkpoint-every", type=int, default=20_000, help="steps between checkpoints")
    ap.add_argument("--report-every", type=int, default=5_000)
    ap.add_argument("--episodes", type=int, default=30)
    ap.add_argument("--epsilon", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="docs/dqn_pong.png")
    ap.add_argument("--baseline", default="", help="plot: RUN[:LABEL], an earlier run's curve to draw beside this one")
    ap.add_argument("--plot", help=argparse.SUPPRESS)  # accepted for make test-python's smoke run
    ap.add_argument("--onnx-steps", type=int, default=1000, help="recorded states the onnx mode compares")
    args = ap.parse_args()
    if args.smoke:
        args.mode = "smoke"
    if args.mode is None:
        ap.error("give a mode: train, evaluate, play, plot, onnx or smoke")
    swiftnn.set_num_threads(args.threads)
    {"train": train, "evaluate": evaluate, "play": play, "plot": plot, "onnx": onnx_check, "smoke": smoke}[args.mode](args)


if __name__ == "__main__":
    main()
