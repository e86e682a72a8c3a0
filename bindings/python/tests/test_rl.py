"""swiftnn.rl (swiftnn/dqn.h) from Python: two DQN updates equal PyTorch's (the golden files the
Swift and C tests read), the loop over a small synthetic environment (a dot walking along a row,
only to drive the loop: not a game) with exact resumption from a checkpoint, errors raised by
the environment come back as themselves, the Atari frame preprocessing, the network exported to
ONNX picks the same actions in onnxruntime."""
import os

import numpy as np
import pytest

import swiftnn

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "golden")


def small(**kw):
    return swiftnn.rl.DQN(3, frame_size=(36, 36), history=2, hidden=16, **kw)


@pytest.mark.parametrize("case", ["double", "plain"])
def test_updates_equal_pytorch(case):
    g = swiftnn.load(os.path.join(GOLDEN, f"dqn_{case}.safetensors"))
    agent = small(lr=1e-3, optimizer_eps=1.5e-4, max_grad_norm=10.0, double_dqn=case == "double", replay_capacity=64)
    net = agent.network
    net.load_state_dict({k: v for k, v in g.items() if "." in k and not k.startswith("b")}, strict=True)
    agent.sync_target()
    for k in (1, 2):
        b = {f: g[f"b{k}.{f}"].numpy() for f in ("states", "actions", "rewards", "next_states", "terminal", "loss")}
        loss = agent.update(b["states"], b["actions"], b["rewards"], b["next_states"], b["terminal"])
        assert abs(loss - float(b["loss"][0])) < 1e-5
        for n, p in net.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), g[f"b{k}.grad.{n}"].numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
            np.testing.assert_allclose(p.detach().numpy(), g[f"b{k}.after.{n}"].numpy(), rtol=1e-4, atol=1e-5, err_msg=n)


class DotEnv:
    """A dot on a 36x36 frame: actions left, stay, right; +1 at the right edge, -0.1 per step;
    24 steps at most (truncated)."""

    def __init__(self, fail_on_reset=None):
        self.x = self.t = self.resets = 0
        self.fail_on_reset = fail_on_reset

    def frame(self):
        f = np.zeros((36, 36), dtype=np.uint8)
        f[14:22, self.x:self.x + 4] = 255
        return f

    def reset(self, noops):
        self.resets += 1
        if self.fail_on_reset is not None and self.resets >= self.fail_on_reset:
            raise KeyError("the emulator is gone")
        self.x, self.t = noops % 8, 0
        return self.frame(), noops

    def step(self, action):
        self.x = max(self.x + int(action) - 1, 0)
        self.t += 1
        won = self.x >= 30
        return self.frame(), (1.0 if won else -0.1), won, won or self.t >= 24, 4


KW = dict(replay_capacity=500, batch_size=8, learning_starts=40, train_every=2, target_update_every=25,
          epsilon_decay_steps=200, noop_max=5, seed=11)


def weights(agent):
    return {k: v.detach().numpy().copy() for k, v in agent.network.state_dict().items()}


def test_loop_resumes_exactly(tmp_path):
    reports = []
    swiftnn.manual_seed(5)
    a = small(**KW)
    a.train(DotEnv(), total_frames=2400, report_every=100, progress=lambda p: reports.append(p))
    s = a.stats
    assert s["frames"] >= 2400 and s["updates"] == (s["steps"] - 40) // 2 + 1
    assert reports and reports[-1]["steps"] % 100 == 0 and reports[-1]["eta_seconds"] >= 0
    returns, ends = a.episodes
    assert len(returns) == s["episodes"] and ends[-1] == s["frames"]

    path = str(tmp_path / "agent.dqn")
    swiftnn.manual_seed(5)
    b = small(**KW)
    b.train(DotEnv(), total_frames=1200, checkpoint_every=1, checkpoint_path=path)
    c = swiftnn.rl.DQN.load(path)
    assert (c.n_actions, c.frame_size, c.history) == (3, (36, 36), 2)
    c.train(DotEnv(), total_frames=2400)
    wa, wc = weights(a), weights(c)
    assert all(np.array_equal(wa[k], wc[k]) for k in wa)
    assert {k: v for k, v in c.stats.items() if not k.endswith("_seconds")} == \
        {k: v for k, v in s.items() if not k.endswith("_seconds")}
    assert 0 < s["update_seconds"] + s["act_seconds"] + s["env_seconds"] <= s["train_seconds"]


def test_progress_can_stop_and_errors_propagate():
    a = small(**KW)
    a.train(DotEnv(), total_frames=100_000, report_every=50, progress=lambda p: False)
    assert a.stats["frames"] < 2000  # stopped at the first episode end after the first report
    with pytest.raises(KeyError, match="emulator is gone"):
        a.train(DotEnv(fail_on_reset=1), total_frames=a.stats["frames"] + 1000)
    with pytest.raises(ZeroDivisionError):
        a.train(DotEnv(), total_frames=a.stats["frames"] + 5000, report_every=10, progress=lambda p: 1 / 0)


def test_evaluate_and_q_values():
    a = small(**KW)
    r = a.evaluate(DotEnv(), episodes=3, epsilon=0.05, seed=2)
    assert len(r) == 3 and all(-2.5 <= x <= 1.0 for x in r)
    assert a.evaluate(DotEnv(), episodes=3, epsilon=0.05, seed=2) == r  # its own seeded generator
    assert a.stats["steps"] == 0
    q = a.q_values(np.zeros((2, 36, 36), dtype=np.uint8))
    assert q.shape == (3,) and np.isfinite(q).all()
    with pytest.raises(ValueError):
        a.q_values(np.zeros((3, 36, 36), dtype=np.uint8))


def test_bad_options():
    with pytest.raises(ValueError, match="optimizer"):
        small(optimizer="sgd")
    with pytest.raises(swiftnn.SwiftNNError, match="36"):
        swiftnn.rl.DQN(3, frame_size=(20, 20))
    with pytest.raises(swiftnn.SwiftNNError, match="epsilon_end"):
        small(epsilon_end=1.5)
    with pytest.raises(swiftnn.SwiftNNError, match="not a DQN checkpoint"):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            swiftnn.save({"w": swiftnn.zeros(2)}, p)
            swiftnn.rl.DQN.load(p)


def test_preprocess_atari():
    a = (np.arange(8 * 6).reshape(8, 6) * 5).astype(np.uint8)
    out = swiftnn.rl.preprocess_atari(a, size=(4, 3))
    want = a.reshape(4, 2, 3, 2).astype(np.float64).mean(axis=(1, 3))
    assert np.abs(out.astype(np.float64) - want).max() <= 0.5
    b = 255 - a
    out2 = swiftnn.rl.preprocess_atari(a, b, size=(4, 3))
    want2 = np.maximum(a, b).reshape(4, 2, 3, 2).astype(np.float64).mean(axis=(1, 3))
    assert np.abs(out2.astype(np.float64) - want2).max() <= 0.5
    screen = np.full((210, 160), 87, dtype=np.uint8)
    assert (swiftnn.rl.preprocess_atari(screen) == 87).all()
    with pytest.raises(ValueError):
        swiftnn.rl.preprocess_atari(np.zeros((2, 3, 4), dtype=np.uint8))
    with pytest.raises(swiftnn.SwiftNNError):
        swiftnn.rl.preprocess_atari(screen, size=(300, 84))


def test_onnx_export_picks_the_same_actions(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    swiftnn.manual_seed(3)
    a = swiftnn.rl.DQN(6)
    path = str(tmp_path / "dqn.onnx")
    swiftnn.onnx.export(a.network, swiftnn.zeros(1, 4, 84, 84), path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for _ in range(5):
        frames = rng.integers(0, 256, (4, 84, 84), dtype=np.uint8)
        q = a.q_values(frames)
        qo = sess.run(None, {sess.get_inputs()[0].name: (frames[None].astype(np.float32) / 255)})[0][0]
        np.testing.assert_allclose(q, qo, rtol=1e-4, atol=1e-5)
        assert int(np.argmax(q)) == int(np.argmax(qo))
