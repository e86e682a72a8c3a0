"""Serving from Python (swiftnn/serving.h): swiftnn.Session, threads sharing one model (every
output bit-identical to one thread's), swiftnn.load(..., mmap=True) and swiftnn.load(io.BytesIO)
as torch.load's, swiftnn.nn.load_model likewise, and fork after the engine's threads started.
Sessions switch the process to one pool, so those checks run in child processes."""
import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftnn


def run_child(code):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(swiftnn.__file__))),
               OPENBLAS_NUM_THREADS="2")
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout[-3000:] + r.stderr[-3000:]


def mapped_from(array, path):
    """Whether the numpy array's memory lies in a mapping of `path` (/proc/self/maps)."""
    addr = array.__array_interface__["data"][0]
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
            if lo <= addr < hi and line.rstrip().endswith(os.fspath(path)):
                return True
    return False


def test_session_binds_a_thread_count_per_thread():
    run_child("""
        import threading
        import swiftnn
        swiftnn.set_num_threads(2)
        one, three = swiftnn.Session(), swiftnn.Session(num_threads=3)
        assert (one.num_threads, three.num_threads) == (1, 3) and "num_threads=3" in repr(three)
        with three:
            assert swiftnn.get_num_threads() == 3
            with one:
                assert swiftnn.get_num_threads() == 1
            seen = []
            t = threading.Thread(target=lambda: seen.append(swiftnn.get_num_threads()))
            t.start(); t.join()
            assert seen == [2], seen          # binding is per thread
            assert swiftnn.get_num_threads() == 3
        assert swiftnn.get_num_threads() == 2
        assert three.run(swiftnn.get_num_threads) == 3
        for bad in (0, -1, 1025):
            try:
                swiftnn.Session(num_threads=bad)
            except swiftnn.InvalidArgumentError as e:
                assert "num_threads" in str(e), e
            else:
                raise AssertionError(f"Session(num_threads={bad}) was accepted")
        try:
            one.__exit__(None, None, None)    # not entered
        except swiftnn.InvalidArgumentError as e:
            assert "snn_session_exit" in str(e) and "no session is bound" in str(e), e
        else:
            raise AssertionError("exit without enter was accepted")
        print("ok")
    """)


def test_threads_share_one_model_with_identical_outputs():
    run_child("""
        import threading
        import numpy as np
        import swiftnn
        from swiftnn import nn
        sessions = [None, swiftnn.Session(num_threads=1), swiftnn.Session(num_threads=2)]
        swiftnn.manual_seed(3)
        model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(6 * 14 * 14, 10)).eval()
        lstm = nn.LSTM(16, 128, num_layers=2).eval()
        rng = np.random.default_rng(0)
        x = swiftnn.from_numpy(rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
        seq = swiftnn.from_numpy(rng.standard_normal((10, 4, 16)).astype(np.float32))
        with swiftnn.no_grad():
            want = model(x).numpy().copy(), lstm(seq)[0].numpy().copy()
        bad, runs = [], [0]

        def work(k):
            with swiftnn.no_grad():
                for i in range(20):
                    s = sessions[(k + i) % 3]
                    got = (s.run(model, x) if s else model(x)).numpy(), (s.run(lstm, seq) if s else lstm(seq))[0].numpy()
                    runs[0] += 1
                    if any(g.tobytes() != w.tobytes() for g, w in zip(got, want)):
                        bad.append((k, i))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads: t.start()
        for t in threads: t.join()
        assert runs[0] == 120 and not bad, bad
        print("ok")
    """)


def test_load_with_mmap_maps_the_file_and_copies_on_write(tmp_path):
    path = tmp_path / "w.safetensors"
    rng = np.random.default_rng(1)
    state = {"a": swiftnn.from_numpy(rng.standard_normal((64, 300)).astype(np.float32)),
             "b": swiftnn.from_numpy(np.arange(7, dtype=np.int64))}
    swiftnn.save(state, path)
    before = path.read_bytes()
    mapped = swiftnn.load(path, mmap=True)
    copied = swiftnn.load(path)
    for k in state:
        assert mapped[k].numpy().tobytes() == copied[k].numpy().tobytes() == state[k].numpy().tobytes()
    assert mapped_from(mapped["a"].numpy(), path)
    assert not mapped_from(copied["a"].numpy(), path)
    mapped["a"].add_(1.0)                     # a private copy of the pages written
    assert np.array_equal(mapped["a"].numpy(), state["a"].numpy() + 1)
    assert path.read_bytes() == before        # never the file
    again = swiftnn.load(path, mmap=True)
    assert again["a"].numpy().tobytes() == state["a"].numpy().tobytes()


def test_load_from_a_file_like_object(tmp_path):
    path = tmp_path / "w.safetensors"
    ckpt = {"model": {"w": swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]])}, "epoch": 3}
    swiftnn.save(ckpt, path)
    data = path.read_bytes()
    for f in (io.BytesIO(data), open(path, "rb")):
        with f:
            got = swiftnn.load(f)
        assert got["epoch"] == 3 and got["model"]["w"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match="mmap=True needs a file path"):
        swiftnn.load(io.BytesIO(data), mmap=True)
    with pytest.raises(swiftnn.FormatError):
        swiftnn.load(io.BytesIO(data[:-3]))
    with pytest.raises(swiftnn.FormatError):
        swiftnn.load(io.BytesIO(b"\x01\x02"))


def test_load_model_maps_or_reads_a_buffer(tmp_path):
    from swiftnn import nn
    path = tmp_path / "m.safetensors"
    swiftnn.manual_seed(5)
    model = nn.Sequential(nn.Linear(40, 30), nn.Tanh(), nn.Linear(30, 4)).eval()
    nn.save_model(model, path)
    x = swiftnn.from_numpy(np.random.default_rng(2).standard_normal((5, 40)).astype(np.float32))
    with swiftnn.no_grad():
        want = model(x).numpy()
        for loaded in (nn.load_model(path, mmap=True), nn.load_model(io.BytesIO(path.read_bytes())), nn.load_model(path)):
            assert loaded.eval()(x).numpy().tobytes() == want.tobytes()
    mapped = nn.load_model(path, mmap=True)
    assert mapped_from(mapped.state_dict()["0.weight"].detach().numpy(), path)
    with pytest.raises(swiftnn.FormatError):
        nn.load_model(io.BytesIO(path.read_bytes()[:100]))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_the_engine_started_its_threads():
    # A pre-forking server: the parent runs a 2-thread LSTM (starting the engine's helper
    # threads), forks, and the child runs the same inference on 2 threads; a hang is a failure.
    run_child("""
        import os, signal
        import numpy as np
        import swiftnn
        from swiftnn import nn
        swiftnn.set_num_threads(2)
        lstm = nn.LSTM(32, 256).eval()
        x = swiftnn.from_numpy(np.random.default_rng(0).standard_normal((6, 32, 32)).astype(np.float32))
        with swiftnn.no_grad():
            want = lstm(x)[0].numpy().copy()
            pid = os.fork()
            if pid == 0:
                signal.alarm(60)
                ok = all(lstm(x)[0].numpy().tobytes() == want.tobytes() for _ in range(3))
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        print("ok")
    """)
