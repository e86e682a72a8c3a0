"""Engine threads and memory: snn_set_num_threads / get, the switch to one pool (OpenBLAS single-threaded,
products split over the engine's workers) when a recurrent layer first runs on two workers, and
the cache of freed large buffers. Each runs in a fresh process: the switch is once per process."""
import os
import subprocess
import sys
import textwrap

import swiftnn

SWITCH = textwrap.dedent("""
    import numpy as np
    import swiftnn

    swiftnn.set_num_threads(2)
    rng = np.random.default_rng(0)
    # products large enough to be split two ways once the pool is shared: rows (m >= n) and
    # columns (m < n), untransposed and transposed operands
    a = swiftnn.from_numpy(rng.standard_normal((300, 517)).astype(np.float32))
    b = swiftnn.from_numpy(rng.standard_normal((517, 211)).astype(np.float32))
    c = swiftnn.from_numpy(rng.standard_normal((97, 517)).astype(np.float32))
    d = swiftnn.from_numpy(rng.standard_normal((517, 1500)).astype(np.float32))

    def products():
        return [swiftnn.matmul(a, b).numpy(), swiftnn.matmul(c, d).numpy(),
                swiftnn.matmul(b.t(), a.t()).numpy(), swiftnn.matmul(d.t(), c.t()).numpy()]

    ref = [a.numpy() @ b.numpy(), c.numpy() @ d.numpy()]
    ref += [r.T for r in ref]

    def check(ps, when):
        for i, (p, r) in enumerate(zip(ps, ref)):
            err = float(np.abs(p - r).max() / np.abs(r).max())
            assert err < 1e-5, f"{when}, product {i}: relative error {err}"

    check(products(), "OpenBLAS's threads")
    # an LSTM big enough for two workers switches the engine to one pool
    lstm = swiftnn.nn.LSTM(64, 256)
    x = swiftnn.from_numpy(rng.standard_normal((5, 32, 64)).astype(np.float32))
    with swiftnn.no_grad():
        lstm(x)
    shared = products()
    check(shared, "one pool")
    assert swiftnn.get_num_threads() == 2
    swiftnn.set_num_threads(1)
    assert swiftnn.get_num_threads() == 1
    # In one pool a product split over two workers has the bits of one single-threaded call
    # (each element is one BLAS k-loop whatever the split); OpenBLAS's own threading does not
    # promise that, and on this machine's OpenBLAS 0.3.21 it does not hold.
    for i, (p, q) in enumerate(zip(shared, products())):
        assert p.tobytes() == q.tobytes(), f"product {i} differs between 2 workers and 1"
    print("ok")
""")


def run_child(code, **extra):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(swiftnn.__file__))),
               OPENBLAS_NUM_THREADS="2", **extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_products_keep_their_bits_when_the_engine_switches_to_one_pool():
    r = run_child(SWITCH)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout[-2000:] + r.stderr[-2000:]


def test_thread_count_round_trips_and_rejects_bad_values():
    r = run_child(textwrap.dedent("""
        import swiftnn
        from swiftnn._lib import lib
        assert swiftnn.get_num_threads() == 2   # OPENBLAS_NUM_THREADS
        swiftnn.set_num_threads(3)
        assert swiftnn.get_num_threads() == 3
        for bad in (0, -1, 1025):
            assert lib.snn_set_num_threads(bad) != 0
        assert swiftnn.get_num_threads() == 3
        print("ok")
    """))
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout[-2000:] + r.stderr[-2000:]


def test_freed_large_buffers_are_held_until_released():
    r = run_child(textwrap.dedent("""
        import numpy as np
        import swiftnn
        swiftnn.empty_cache()
        assert swiftnn.memory_cached() == 0
        x = swiftnn.zeros(1024, 1024)          # 4 MB
        del x
        held = swiftnn.memory_cached()
        assert held >= 4 << 20, held
        y = swiftnn.zeros(1024, 1024)          # reuses it, zeroed
        assert swiftnn.memory_cached() == held - (4 << 20)
        assert not y.numpy().any()
        del y
        swiftnn.empty_cache()
        assert swiftnn.memory_cached() == 0
        print("ok")
    """))
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout[-2000:] + r.stderr[-2000:]
