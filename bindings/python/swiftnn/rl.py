"""swiftnn.rl: deep Q-learning trained in the engine (swiftnn/dqn.h). Python supplies the
environment; the engine acts, stores transitions (each frame once), samples, updates, syncs the
target network, reports progress and checkpoints so a run resumes exactly.

    agent = swiftnn.rl.DQN(n_actions=6)              # the Nature network on 4 x 84x84 frames
    agent.train(env, total_frames=2_000_000, checkpoint_every=50_000, checkpoint_path="pong.dqn",
                progress=lambda p: print(p["frames"], p["mean_return_100"]))
    agent.evaluate(env, episodes=30, epsilon=0.05)    # per-episode returns

`env` has two methods (frames are uint8 numpy arrays of frame_size):
    reset(noops) -> (frame, emulator_frames_used)
    step(action) -> (frame, reward, terminal, episode_end, emulator_frames_used)
"""
import ctypes
import os
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple

import numpy as np
import numpy.typing as npt

from ._ffi import (snn_dqn_env, snn_dqn_options, snn_dqn_progress_fn, snn_dqn_reset_fn, snn_dqn_stats,
                   snn_dqn_step_fn, snn_dqn_train_options)
from ._handles import Handle
from ._lib import check, lib
from ._options import options

__all__ = ["DQN", "Environment", "preprocess_atari"]

Frame = npt.NDArray[np.uint8]


class Environment(Protocol):
    """What DQN.train and DQN.evaluate drive (frames: uint8 arrays of the agent's frame_size)."""

    def reset(self, noops: int) -> Tuple[Frame, int]:
        """Starts an episode with `noops` no-op actions: (first frame, emulator frames used)."""
        ...

    def step(self, action: int) -> Tuple[Frame, float, bool, bool, int]:
        """(next frame, reward, terminal, episode_end, emulator frames used)."""
        ...

_U8P = ctypes.POINTER(ctypes.c_uint8)


def _u8(a: Any, shape: Sequence[int], what: str) -> Frame:
    out: Frame = np.ascontiguousarray(a, dtype=np.uint8)
    if out.size != int(np.prod(shape)):
        raise ValueError(f"{what}: expected {int(np.prod(shape))} bytes (shape {tuple(shape)}), got shape {out.shape}")
    return out


def preprocess_atari(a: Any, b: Any = None, size: Tuple[int, int] = (84, 84)) -> Frame:
    """The DQN papers' frame: max of two grayscale screens (uint8 [H, W]; b may be None),
    resized to `size` by area averaging (OpenCV's INTER_AREA). Returns uint8 [size]."""
    a = np.ascontiguousarray(a, dtype=np.uint8)
    if a.ndim != 2:
        raise ValueError(f"preprocess_atari: a must be a 2-D grayscale screen, got shape {a.shape}")
    if b is not None:
        b = _u8(b, a.shape, "preprocess_atari: b")
    out = np.empty(size, dtype=np.uint8)
    check(lib.snn_atari_preprocess(out.ctypes.data_as(_U8P), size[0], size[1], a.ctypes.data_as(_U8P),
                                   None if b is None else b.ctypes.data_as(_U8P), a.shape[0], a.shape[1]))
    return out


class _Env:
    """An snn_dqn_env over a Python environment; exceptions are kept and re-raised."""

    def __init__(self, env: Environment, shape: Tuple[int, int]) -> None:
        self.env, self.shape = env, shape
        self.error: Optional[BaseException] = None
        n = int(np.prod(shape))

        def reset(_user: Any, noops: int, frame: Any, frames: Any) -> bool:
            try:
                f, used = env.reset(int(noops))
                ctypes.memmove(frame, _u8(f, shape, "env.reset").ctypes.data, n)
                frames[0] = int(used)
                return True
            except BaseException as e:  # noqa: BLE001  (re-raised after the C call returns)
                self.error = e
                return False

        def step(_user: Any, action: int, frame: Any, reward: Any, terminal: Any, episode_end: Any, frames: Any) -> bool:
            try:
                f, r, t, end, used = env.step(int(action))
                ctypes.memmove(frame, _u8(f, shape, "env.step").ctypes.data, n)
                reward[0], terminal[0], episode_end[0], frames[0] = float(r), bool(t), bool(end), int(used)
                return True
            except BaseException as e:  # noqa: BLE001
                self.error = e
                return False

        self._keep = (snn_dqn_reset_fn(reset), snn_dqn_step_fn(step))
        self.c = snn_dqn_env(ctypes.sizeof(snn_dqn_env), self._keep[0], self._keep[1], None)

    def run(self, call: Callable[[], int]) -> None:
        try:
            check(call())
        except Exception:
            if self.error is not None:
                raise self.error from None
            raise
        if self.error is not None:
            raise self.error


class DQN:
    """A DQN agent (Mnih et al. 2015) with the Nature network; the keyword arguments are the
    fields of snn_dqn_options (swiftnn/dqn.h), with their defaults."""

    def __init__(self, n_actions: int = 6, *, frame_size: Tuple[int, int] = (84, 84), history: int = 4, hidden: int = 512,
                 replay_capacity: int = 100_000, batch_size: int = 32, gamma: float = 0.99, optimizer: str = "adam",
                 lr: float = 1e-4, optimizer_eps: float = 1.5e-4, learning_starts: int = 20_000, train_every: int = 4,
                 target_update_every: int = 4_000, epsilon_start: float = 1.0, epsilon_end: float = 0.01,
                 epsilon_decay_steps: int = 250_000, double_dqn: bool = True, clip_rewards: bool = True,
                 max_grad_norm: float = 10.0, noop_max: int = 30, seed: int = 0, _handle: Optional[int] = None) -> None:
        if _handle is None:
            if optimizer not in ("adam", "rmsprop"):
                raise ValueError(f"DQN: optimizer must be 'adam' or 'rmsprop', got {optimizer!r}")
            o = options(snn_dqn_options)
            o.actions, (o.frame_height, o.frame_width), o.history, o.hidden = n_actions, frame_size, history, hidden
            o.replay_capacity, o.batch_size, o.gamma = replay_capacity, batch_size, gamma
            o.optimizer, o.lr, o.optimizer_eps = (0 if optimizer == "adam" else 1), lr, optimizer_eps
            o.learning_starts, o.train_every, o.target_update_every = learning_starts, train_every, target_update_every
            o.epsilon_start, o.epsilon_end, o.epsilon_decay_steps = epsilon_start, epsilon_end, epsilon_decay_steps
            o.double_dqn, o.clip_rewards, o.max_grad_norm = double_dqn, clip_rewards, max_grad_norm
            o.noop_max, o.seed = noop_max, seed
            h = ctypes.c_void_p()
            check(lib.snn_dqn_new(ctypes.byref(h), ctypes.byref(o)))
            _handle = h.value
        self._h = Handle(_handle, lib.snn_dqn_free)
        self.n_actions, self.frame_size, self.history = int(n_actions), (int(frame_size[0]), int(frame_size[1])), int(history)

    @classmethod
    def load(cls, path: str) -> "DQN":
        """An agent saved by save() (or snn_dqn_save), ready to continue training exactly."""
        h = ctypes.c_void_p()
        check(lib.snn_dqn_load(ctypes.byref(h), os.fsencode(path)))
        agent = cls(_handle=h.value)
        agent._read_options()
        return agent

    def _read_options(self) -> None:
        o = options(snn_dqn_options)
        check(lib.snn_dqn_get_options(ctypes.byref(o), self._h.value))
        self.n_actions, self.frame_size, self.history = int(o.actions), (int(o.frame_height), int(o.frame_width)), int(o.history)

    def save(self, path: str) -> None:
        """Writes networks, optimizer state, replay buffer, counters and generator (atomically)."""
        check(lib.snn_dqn_save(self._h.value, os.fsencode(path)))

    def train(self, env: Environment, total_frames: int, *, max_seconds: float = 0.0, report_every: int = 5_000,
              checkpoint_every: int = 0, checkpoint_path: Optional[str] = None,
              progress: Optional[Callable[[Dict[str, Any]], Optional[bool]]] = None) -> None:
        """Trains until the agent has seen total_frames emulator frames (resumed runs included).
        progress(dict) gets steps, frames, total_frames, updates, episodes, epsilon, loss,
        last_return, mean_return_100, frames_per_second, elapsed_seconds, eta_seconds;
        returning False stops at the end of the current episode."""
        t = options(snn_dqn_train_options)
        t.total_frames, t.max_seconds, t.report_every = int(total_frames), float(max_seconds), int(report_every)
        t.checkpoint_every = int(checkpoint_every)
        path = None if checkpoint_path is None else os.fsencode(checkpoint_path)
        t.checkpoint_path = path
        errors: List[BaseException] = []

        def cb(p: Any, _user: Any) -> bool:
            q = p.contents
            try:
                assert progress is not None
                r = progress({k: getattr(q, k) for k in ("steps", "frames", "total_frames", "updates", "episodes",
                                                         "epsilon", "loss", "last_return", "mean_return_100",
                                                         "frames_per_second", "elapsed_seconds", "eta_seconds")})
                return r is None or bool(r)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
                return False

        keep = snn_dqn_progress_fn(cb) if progress is not None else snn_dqn_progress_fn()
        t.progress = keep
        e = _Env(env, self.frame_size)
        e.run(lambda: lib.snn_dqn_train(self._h.value, ctypes.byref(e.c), ctypes.byref(t)))
        if errors:
            raise errors[0]

    def evaluate(self, env: Environment, episodes: int = 30, epsilon: float = 0.05, seed: int = 0,
                 max_frames_per_episode: int = 108_000) -> List[float]:
        """Each episode's return playing with epsilon and random no-op starts (nothing stored)."""
        out = (ctypes.c_double * int(episodes))()
        e = _Env(env, self.frame_size)
        e.run(lambda: lib.snn_dqn_evaluate(out, int(episodes), self._h.value, ctypes.byref(e.c), int(episodes),
                                           float(epsilon), int(seed), int(max_frames_per_episode)))
        return list(out)

    def q_values(self, frames: Any) -> npt.NDArray[np.float32]:
        """The online network's Q-values for one state: uint8 frames [history, H, W]."""
        f = _u8(frames, (self.history,) + self.frame_size, "DQN.q_values")
        out = np.empty(self.n_actions, dtype=np.float32)
        check(lib.snn_dqn_q_values(out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), out.size, self._h.value,
                                   f.ctypes.data_as(_U8P), f.size))
        return out

    def update(self, states: Any, actions: Any, rewards: Any, next_states: Any, terminal: Any) -> float:
        """One update on an explicit batch (uint8 states [B, history, H, W]); returns the loss."""
        b = len(actions)
        shape = (b, self.history) + self.frame_size
        s, s2 = _u8(states, shape, "DQN.update: states"), _u8(next_states, shape, "DQN.update: next_states")
        a = np.ascontiguousarray(actions, dtype=np.int64)
        r = np.ascontiguousarray(rewards, dtype=np.float32)
        d = np.ascontiguousarray(terminal, dtype=np.uint8)
        if r.shape != (b,) or d.shape != (b,):
            raise ValueError(f"DQN.update: rewards and terminal must have {b} values, got {r.shape} and {d.shape}")
        loss = ctypes.c_double()
        check(lib.snn_dqn_update(ctypes.byref(loss), self._h.value, s.ctypes.data_as(_U8P), s2.ctypes.data_as(_U8P),
                                 s.size, a.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
                                 r.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), d.ctypes.data_as(_U8P), b))
        return float(loss.value)

    def sync_target(self) -> None:
        """Copies the online network's weights into the target network."""
        check(lib.snn_dqn_sync_target(self._h.value))

    @property
    def network(self) -> Any:
        """The online network as a swiftnn.nn.Sequential (shared: it sees training's updates)."""
        from .nn.container import wrap_engine_module
        h = ctypes.c_void_p()
        check(lib.snn_dqn_network(ctypes.byref(h), self._h.value))
        assert h.value is not None
        return wrap_engine_module(h.value)

    @property
    def stats(self) -> Dict[str, Any]:
        """Counters: steps, frames, updates, episodes; epsilon now, last_loss, replay_size;
        train_seconds and where they went: env_seconds, act_seconds, update_seconds."""
        s = snn_dqn_stats()
        s.struct_size = ctypes.sizeof(snn_dqn_stats)
        check(lib.snn_dqn_get_stats(ctypes.byref(s), self._h.value))
        return {k: getattr(s, k) for k in ("steps", "frames", "updates", "episodes", "epsilon", "last_loss",
                                           "train_seconds", "replay_size", "env_seconds", "act_seconds",
                                           "update_seconds")}

    @property
    def episodes(self) -> Tuple[List[float], List[int]]:
        """The learning curve: (returns, frame count at each episode's end), oldest first."""
        n = ctypes.c_size_t()
        check(lib.snn_dqn_episodes(None, None, 0, ctypes.byref(n), self._h.value))
        r = (ctypes.c_double * max(n.value, 1))()
        f = (ctypes.c_int64 * max(n.value, 1))()
        check(lib.snn_dqn_episodes(r, f, n.value, ctypes.byref(n), self._h.value))
        return list(r[:n.value]), list(f[:n.value])
