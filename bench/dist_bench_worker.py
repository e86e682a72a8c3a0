"""One rank of bench_distributed.py (run under mpirun): allreduce times for a range of sizes,
and data-parallel training throughput of LeNet-5 and a char-LSTM with the DDP trace (allreduce
time, the part hidden behind backward, the wait after it). Rank 0 prints one JSON line."""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
os.environ.setdefault("SWIFTNN_LIB", os.path.join(HERE, "..", "build", "lib", "libswiftnn.so"))

import numpy as np  # noqa: E402

import swiftnn  # noqa: E402
import swiftnn.distributed as dist  # noqa: E402
import swiftnn.nn as nn  # noqa: E402
import swiftnn.nn.functional as F  # noqa: E402
from swiftnn.nn.parallel import DistributedDataParallel as DDP  # noqa: E402


def allreduce_times(sizes, repeat=15):
    out = {}
    for nbytes in sizes:
        t = swiftnn.zeros(max(nbytes // 4, 1))
        for _ in range(3):
            dist.all_reduce(t)
        runs = []
        for _ in range(repeat):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(t)
            runs.append(time.perf_counter() - t0)
        # the slowest rank decides: a collective ends for all when the last rank is done
        # the 25th percentile: this machine is shared, and interference only adds time
        m = swiftnn.tensor([float(np.percentile(runs, 25))], dtype=swiftnn.float64)
        dist.all_reduce(m)
        out[nbytes] = m.item() / dist.get_world_size()
    return out


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class CharLSTM(nn.Module):
    def __init__(self, vocab=96, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, 64)
        self.lstm = nn.LSTM(64, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.head(out)


def train_speed(name, global_batch, steps, bucket_mb, deterministic=False):
    world, rank = dist.get_world_size(), dist.get_rank()
    per = global_batch // world
    rng = np.random.default_rng(rank)
    swiftnn.manual_seed(0)
    if name == "lenet":
        model = lenet()
        x = swiftnn.tensor(rng.standard_normal((per, 1, 28, 28)).astype(np.float32))
        y = swiftnn.tensor(rng.integers(0, 10, per).astype(np.int64))
        loss_of = lambda out: F.cross_entropy(out, y)  # noqa: E731
        items = per
    else:
        model = CharLSTM()
        x = swiftnn.tensor(rng.integers(0, 96, (per, 64)).astype(np.int64))
        y = swiftnn.tensor(rng.integers(0, 96, (per * 64,)).astype(np.int64))
        loss_of = lambda out: F.cross_entropy(out.reshape(-1, 96), y)  # noqa: E731
        items = per * 64
    params = sum(p.numel() for p in model.parameters())
    ddp = DDP(model, bucket_cap_mb=bucket_mb, deterministic=deterministic) if world > 1 else model
    opt = swiftnn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    traces, times = [], []
    for step in range(steps + 3):
        dist.barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss_of(ddp(x)).backward()
        opt.step()
        dt = time.perf_counter() - t0
        if step >= 3:
            times.append(dt)
            if world > 1:
                traces.append(ddp._last_trace())
    step_s = float(np.percentile(times, 25))  # the shared machine's interference only adds time
    res = {"model": name, "bucket_cap_mb": bucket_mb, "deterministic": deterministic, "params": params, "world": world, "global_batch": per * world,
           "step_seconds": step_s, "items_per_second": items * world / step_s}
    if traces:
        for k in ("allreduce", "hidden", "exposed_wait"):
            res[k + "_seconds"] = float(np.percentile([t[k] for t in traces], 25))
        res["buckets"] = traces[-1]["buckets"]
    return res


def main():
    dist.init_process_group(backend="mpi", timeout=600)
    what = sys.argv[1]
    if what == "allreduce":
        sizes = [1 << k for k in range(10, 25, 2)]  # 1 KB ... 16 MB
        res = {"world": dist.get_world_size(), "allreduce": allreduce_times(sizes)}
    else:
        res = train_speed(what, int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                          deterministic=len(sys.argv) > 5 and sys.argv[5] == "deterministic")
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(res), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
