"""Checkpoint loading by mmap versus by reading (swiftnn/serving.h), on 25,005,000 float32
parameters (Linear(5000, 5000), a 100 MB file the engine writes): load time, and the memory of
two processes that hold the loaded model at the same time (Rss and Pss from
/proc/<pid>/smaps_rollup; Pss divides shared pages between the processes that map them).

    python3 bench/bench_mmap.py [ROUNDS]       # after make; results go to docs/concurrency.md

The page cache is warm (the file was just written or read): these are load times of a server
restart, not of a cold disk. Each process runs one forward after loading, which reads every
weight."""
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
LIB = os.path.join(REPO, "build", "lib")
TOOL = os.path.join(REPO, "build", "mmap_load")
CKPT = "/tmp/swiftnn_bench_mmap.safetensors"


def build():
    subprocess.run(["cc", "-O2", "-I" + os.path.join(REPO, "include"), os.path.join(HERE, "mmap_load.c"), "-o", TOOL,
                    "-L" + LIB, "-lswiftnn", "-Wl,-rpath," + LIB], check=True)


def rollup(pid):
    """kB values of /proc/<pid>/smaps_rollup."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def start(mode):
    what, mode = mode.split(":") if ":" in mode else ("load", mode)
    p = subprocess.Popen([TOOL, what, CKPT, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    timing = p.stdout.readline().strip()
    assert p.stdout.readline().strip() == "ready", timing
    return p, dict(kv.split("=") for kv in timing.split())


def two_processes(mode):
    a, ta = start(mode)
    b, tb = start(mode)
    mem = [rollup(a.pid), rollup(b.pid)]
    for p in (a, b):
        p.stdin.close()
        p.wait()
    return [float(ta["load_seconds"]), float(tb["load_seconds"])], mem


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    build()
    out = subprocess.run([TOOL, "write", CKPT], check=True, capture_output=True, text=True).stdout.strip()
    print(f"checkpoint: {out}, {os.path.getsize(CKPT) / 1e6:.1f} MB at {CKPT}")
    print(f"{'what':26} {'load s (median)':>16} {'Rss MB each':>12} {'Pss MB each':>12} {'Pss MB both':>12}")
    names = {"copy": "module, read", "mmap": "module, mmap", "load-map:copy": "state dict only, read",
             "load-map:mmap": "state dict only, mmap"}
    for mode in ("copy", "mmap", "load-map:copy", "load-map:mmap"):
        loads, mems = [], []
        for _ in range(rounds):
            t, mem = two_processes(mode)
            loads += t
            mems.append(mem)
        rss = statistics.median(m["Rss"] for pair in mems for m in pair) / 1024
        pss = statistics.median(m["Pss"] for pair in mems for m in pair) / 1024
        both = statistics.median(sum(m["Pss"] for m in pair) for pair in mems) / 1024
        print(f"{names[mode]:26} {statistics.median(loads):16.4f} {rss:12.1f} {pss:12.1f} {both:12.1f}")
    os.unlink(CKPT)


if __name__ == "__main__":
    main()
