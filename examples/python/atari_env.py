"""The Atari environment of the DQN papers over the Arcade Learning Environment (PyPI ale-py,
ROMs inside the wheel): the minimal action set, `repeat_action_probability` 0 (no sticky
actions: the classic setting), each action repeated for 4 emulator frames with the rewards
summed, the frame the max of the last two grayscale screens resized to 84x84 (in the engine:
swiftnn.rl.preprocess_atari), no-op starts, episodes capped at 108,000 emulator frames, and a
lost life optionally terminal for training. "frames" always means emulator frames.

It implements the two methods swiftnn.rl.DQN drives:
    reset(noops) -> (frame, frames_used)
    step(action) -> (frame, reward, terminal, episode_end, frames_used)
"""
import os
import sys
from typing import Any, List, Tuple

import numpy as np
import numpy.typing as npt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import swiftnn  # noqa: E402

Frame = npt.NDArray[np.uint8]


class AtariEnv:
    def __init__(self, game: str = "pong", frame_skip: int = 4, terminal_on_life_loss: bool = False,
                 max_episode_frames: int = 108_000, seed: int = 0) -> None:
        from ale_py import ALEInterface, LoggerMode, roms
        ALEInterface.setLoggerMode(LoggerMode.Error)
        self.ale: Any = ALEInterface()
        ale = self.ale
        ale.setInt("random_seed", int(seed))
        ale.setFloat("repeat_action_probability", 0.0)
        ale.setInt("frame_skip", 1)
        rom = roms.get_rom_path(game)
        if rom is None:
            raise ValueError(f"AtariEnv: ale-py has no ROM called {game!r}")
        ale.loadROM(rom)
        self.actions: List[Any] = list(ale.getMinimalActionSet())
        self.frame_skip, self.terminal_on_life_loss = int(frame_skip), bool(terminal_on_life_loss)
        self.max_episode_frames = int(max_episode_frames)
        h, w = ale.getScreenDims()
        self._screens = [np.empty((h, w), dtype=np.uint8), np.empty((h, w), dtype=np.uint8)]
        self._episode_frames = 0
        self._lives = 0

    @property
    def n_actions(self) -> int:
        return len(self.actions)

    def _frame(self, both: bool) -> Frame:
        self.ale.getScreenGrayscale(self._screens[1])
        return swiftnn.rl.preprocess_atari(self._screens[1], self._screens[0] if both else None)

    def reset(self, noops: int = 0) -> Tuple[Frame, int]:
        """A new game, then `noops` no-op emulator frames (a game that ends meanwhile restarts)."""
        ale = self.ale
        ale.reset_game()
        used = 0
        for _ in range(int(noops)):
            ale.act(self.actions[0])
            used += 1
            if ale.game_over():
                ale.reset_game()
        self._episode_frames = used
        self._lives = ale.lives()
        ale.getScreenGrayscale(self._screens[0])
        return self._frame(False), used

    def step(self, action: int) -> Tuple[Frame, float, bool, bool, int]:
        """Repeats the action for frame_skip frames (fewer if the game ends); the frame is the
        max of the last two screens."""
        ale, a = self.ale, self.actions[int(action)]
        reward, used = 0.0, 0
        game_over = False
        for i in range(self.frame_skip):
            reward += float(ale.act(a))
            used += 1
            if i == self.frame_skip - 2:
                ale.getScreenGrayscale(self._screens[0])
            if ale.game_over():
                break
        self._episode_frames += used
        game_over = bool(ale.game_over())
        lost_life = bool(ale.lives() < self._lives)
        self._lives = int(ale.lives())
        truncated = not game_over and self._episode_frames >= self.max_episode_frames
        terminal = game_over or (self.terminal_on_life_loss and lost_life)
        return self._frame(used >= 2), reward, terminal, game_over or truncated, used


if __name__ == "__main__":
    # Run as a script (make test-python runs every example with --smoke): one episode's first
    # steps with random actions, printing the frame shape and the reward so far.
    env = AtariEnv("pong")
    frame, used = env.reset(0)
    total = 0.0
    rng = np.random.default_rng(0)
    for _ in range(200):
        frame, reward, _, end, n = env.step(int(rng.integers(env.n_actions)))
        total, used = total + reward, used + n
        if end:
            break
    print(f"AtariEnv(pong): frames {frame.shape} {frame.dtype}, {used} emulator frames, reward {total:g}")
