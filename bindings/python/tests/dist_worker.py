"""One rank of a distributed test scenario, run by test_distributed.py under
`mpirun -np N python3 dist_worker.py SCENARIO [ARGS]`. Each rank checks what it can see and
prints "rank R: ok ..." or raises (a non-zero exit fails the mpirun, and so the test).

Equivalence scenarios compare the data-parallel model after K steps with a one-process
reference trained on the same global batches (every rank computes the reference itself)."""
import os
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..")))

import numpy as np  # noqa: E402

import swiftnn  # noqa: E402
import swiftnn.distributed as dist  # noqa: E402
import swiftnn.nn as nn  # noqa: E402
import swiftnn.nn.functional as F  # noqa: E402
from swiftnn.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from swiftnn.utils.data import DistributedSampler  # noqa: E402

def say(msg):
    """One write per line, so mpirun's forwarding does not split it."""
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


GLOBAL_BATCH = 12   # divisible by 1, 2, 3 and 4 ranks
STEPS = 4


def mlp():
    return nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 4))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class LSTMRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


def convbn():
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


def convsyncbn():
    """convbn with PyTorch's constructor, nn.SyncBatchNorm(4), instead of a conversion."""
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.SyncBatchNorm(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


MODELS = {
    "syncbn": (convbn, (2, 8, 8), "ce3"),
    "syncbn_new": (convbn, (2, 8, 8), "ce3"),  # the model itself is convsyncbn(): see scenario_equivalence
    "localbn": (convbn, (2, 8, 8), "ce3"),
    # name: (builder, input shape per sample, loss)
    "mlp": (mlp, (10,), "ce4"),
    "lenet": (lenet, (1, 28, 28), "ce10"),
    "lstm": (LSTMRegressor, (6, 5), "mse3"),
}


def dataset(name, n=96):
    shape, loss = MODELS[name][1], MODELS[name][2]
    rng = np.random.default_rng(42)
    x = rng.standard_normal((n,) + shape).astype(np.float32)
    if loss.startswith("ce"):
        y = rng.integers(0, int(loss[2:]), size=n).astype(np.int64)
    else:
        y = rng.standard_normal((n, int(loss[3:]))).astype(np.float32)
    return swiftnn.tensor(x), swiftnn.tensor(y), loss


def loss_fn(kind, out, y):
    return F.cross_entropy(out, y) if kind.startswith("ce") else F.mse_loss(out, y)


def batches(n, replicas, rank, epoch, per_rank):
    """This rank's batches of one epoch: its DistributedSampler share cut into per_rank runs."""
    s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=True, seed=3)
    s.set_epoch(epoch)
    idx = list(s)
    return [idx[i:i + per_rank] for i in range(0, len(idx), per_rank)]


def train(model, x, y, kind, replicas, rank, steps, epoch=0, lr=0.1, momentum=0.9):
    opt = swiftnn.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    per_rank = GLOBAL_BATCH // replicas
    for b in batches(x.shape[0], replicas, rank, epoch, per_rank)[:steps]:
        ib = swiftnn.tensor(b, dtype=swiftnn.int64)
        opt.zero_grad()
        loss_fn(kind, model(x.index_select(0, ib)), y.index_select(0, ib)).backward()
        opt.step()


def params(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def compare(a, b, what, tol=2e-5):
    worst = max(float(np.max(np.abs(a[k] - b[k]) / (1 + np.abs(b[k])))) for k in b)
    if not worst <= tol:
        raise AssertionError(f"{what}: data-parallel and one-process parameters differ by {worst:.3g} (tolerance {tol})")
    return worst


def initial(name, seed):
    swiftnn.manual_seed(seed)
    return MODELS[name][0]()


def scenario_equivalence(name):
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, kind = dataset(name)
    ref = initial(name, 1)
    start = params(ref)
    # every rank builds its model from another seed: DDP must copy rank 0's weights
    model = initial(name, 1 if rank == 0 else 100 + rank)
    if name == "syncbn_new":  # the same parameters (BatchNorm's start at ones and zeros)
        swiftnn.manual_seed(1 if rank == 0 else 100 + rank)
        model = convsyncbn()
    if name == "syncbn":  # one-process BatchNorm over the global batch = SyncBatchNorm
        nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DDP(model, bucket_cap_mb=0.01)  # small buckets: several allreduces per step
    compare(params(model), start, f"{name} after the initial broadcast", tol=0)
    train(ddp, x, y, kind, world, rank, STEPS)
    train(ref, x, y, kind, 1, 0, STEPS)
    worst = compare(params(model), params(ref), name)
    moved = max(float(np.max(np.abs(params(ref)[k] - start[k]))) for k in start)
    assert moved > 1e-3, f"{name}: the reference did not train (moved {moved})"
    say(f"rank {rank}: ok {name} equivalence over {world} ranks, {len(ddp._bucket_sizes())} buckets, "
          f"max relative difference {worst:.2e}")


def scenario_collectives():
    rank, world = dist.get_rank(), dist.get_world_size()
    for dt in (swiftnn.float32, swiftnn.float64):
        t = swiftnn.tensor([1.0, 2.0, 3.0], dtype=dt) * (rank + 1)
        dist.all_reduce(t)
        want = np.array([1.0, 2.0, 3.0]) * world * (world + 1) / 2
        assert np.allclose(t.numpy(), want), (t.numpy(), want)
        t = swiftnn.tensor([1.0, 2.0, 3.0], dtype=dt) * (rank + 1)
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        assert np.allclose(t.numpy(), want / world), t.numpy()
    t = swiftnn.full((2, 3), float(rank))
    dist.broadcast(t, src=world - 1)
    assert np.all(t.numpy() == world - 1), t.numpy()
    out = [swiftnn.zeros(2) for _ in range(world)]
    dist.all_gather(out, swiftnn.tensor([float(rank), 10.0 * rank]))
    assert [o.numpy().tolist() for o in out] == [[float(r), 10.0 * r] for r in range(world)]
    dist.barrier()
    # broadcast with different shapes: an error on every rank, not a hang
    try:
        dist.broadcast(swiftnn.zeros(3 + rank), src=0)
        raise AssertionError("mismatched broadcast did not fail")
    except swiftnn.ShapeError as e:
        assert "snn_dist_broadcast" in str(e), str(e)
    say(f"rank {rank}: ok collectives over {world} ranks ({dist.get_backend()}) on host {socket.gethostname()}")


def scenario_mismatch():
    rank = dist.get_rank()
    swiftnn.manual_seed(1)
    model = nn.Sequential(nn.Linear(10, 20 + rank), nn.ReLU())
    try:
        DDP(model)
    except swiftnn.ShapeError as e:
        msg = str(e)
        if rank == 0:
            assert "rank 1" in msg and "differs" in msg, msg
        else:
            assert "'0.weight'" in msg and "[21, 10]" in msg and "[20, 10]" in msg, msg
        say(f"rank {rank}: ok mismatch reported: {msg}")
        return
    raise AssertionError("mismatched models were not detected")


def scenario_no_sync():
    """Two micro-batches under no_sync, a third synchronised: gradients equal the one-process
    sum over the three global micro-batches, and inside no_sync they stay local."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, kind = dataset("mlp")
    model = initial("mlp", 1)
    ddp = DDP(model)
    ref = initial("mlp", 1)
    per_rank = GLOBAL_BATCH // world
    mine = batches(x.shape[0], world, rank, 0, per_rank)[:3]
    full = batches(x.shape[0], 1, 0, 0, GLOBAL_BATCH)[:3]
    for i, b in enumerate(mine):
        ib = swiftnn.tensor(b, dtype=swiftnn.int64)
        if i < 2:
            with ddp.no_sync():
                loss_fn(kind, ddp(x.index_select(0, ib)), y.index_select(0, ib)).backward()
            if i == 0:  # local gradients: ranks see different data, so different gradients
                g = [swiftnn.zeros(model[0].weight.shape) for _ in range(world)]
                dist.all_gather(g, model[0].weight.grad)
                assert world == 1 or not np.allclose(g[0].numpy(), g[1].numpy()), "no_sync gradients were averaged"
        else:
            loss_fn(kind, ddp(x.index_select(0, ib)), y.index_select(0, ib)).backward()
    for b in full:
        ib = swiftnn.tensor(b, dtype=swiftnn.int64)
        loss_fn(kind, ref(x.index_select(0, ib)), y.index_select(0, ib)).backward()
    got = {k: p.grad.numpy() for k, p in model.named_parameters()}
    want = {k: p.grad.numpy() for k, p in ref.named_parameters()}
    worst = compare(got, want, "no_sync accumulated gradients")
    say(f"rank {rank}: ok no_sync accumulation over {world} ranks, max relative difference {worst:.2e}")


def scenario_resume(phase, path):
    """phase save: train 2 steps of epoch 0 on this many ranks, rank 0 writes the weights.
    phase load: rank 0 loads them, DDP hands them to every rank, 2 steps of epoch 1; the
    result must equal one process doing all four steps."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, kind = dataset("mlp")
    model = initial("mlp", 1 if rank == 0 else 50 + rank)
    if phase == "load" and rank == 0:
        model.load_state_dict(swiftnn.load(path))
    ddp = DDP(model)
    train(ddp, x, y, kind, world, rank, 2, epoch=0 if phase == "save" else 1, momentum=0.0)
    if phase == "save":
        if rank == 0:
            swiftnn.save(model.state_dict(), path + ".tmp")
            os.replace(path + ".tmp", path)
        dist.barrier()
        say(f"rank {rank}: ok checkpoint written by rank 0 after 2 steps on {world} ranks")
        return
    ref = initial("mlp", 1)
    train(ref, x, y, kind, 1, 0, 2, epoch=0, momentum=0.0)
    train(ref, x, y, kind, 1, 0, 2, epoch=1, momentum=0.0)
    worst = compare(params(model), params(ref), "resumed with another number of ranks")
    say(f"rank {rank}: ok resumed on {world} ranks equals one process, max relative difference {worst:.2e}")


def scenario_fault(kind):
    """Rank 1 dies (SIGKILL) or hangs at step 3; rank 0 must not hang."""
    rank = dist.get_rank()
    x, y, lk = dataset("mlp")
    model = initial("mlp", 1)
    ddp = DDP(model)
    opt = swiftnn.optim.SGD(model.parameters(), lr=0.1)
    for step, b in enumerate(batches(x.shape[0], dist.get_world_size(), rank, 0, 4)):
        if step == 3 and rank == 1:
            if kind == "die":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(3600)
        ib = swiftnn.tensor(b, dtype=swiftnn.int64)
        opt.zero_grad()
        try:
            loss_fn(lk, ddp(x.index_select(0, ib)), y.index_select(0, ib)).backward()
        except swiftnn.SwiftNNError as e:
            say(f"rank {rank}: error at step {step}: {e}")
            sys.stdout.flush()
            os._exit(3)
        opt.step()
    say(f"rank {rank}: finished without noticing the fault")


def scenario_fit():
    """The engine's own loop (fit_classifier with a DDP model): 2 epochs on N ranks with
    per-rank batch B/N equal one process with batch B in the sampler's order; progress runs on
    rank 0 only, with the global throughput."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, _ = dataset("mlp")
    def fit(model, replicas, r, per_rank, progress=None):
        loader = swiftnn.data.DataLoader(x, y, batch_size=per_rank, shuffle=True, seed=3)
        opt = swiftnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        if replicas == 1:
            loader.shard(1, 0)  # the same DistributedSampler order on one process
        return swiftnn.train.fit_classifier(model, opt, loader, epochs=2, report_every=2, progress=progress)
    reports = []
    model = initial("mlp", 1 if rank == 0 else 7)
    losses = fit(DDP(model), world, rank, GLOBAL_BATCH // world, progress=lambda p: reports.append(p.global_step))
    ref = initial("mlp", 1)
    ref_losses = fit(ref, 1, 0, GLOBAL_BATCH)
    worst = compare(params(model), params(ref), "fit_classifier")
    assert len(losses) == len(ref_losses) == 16, (len(losses), len(ref_losses))
    assert (len(reports) > 0) == (rank == 0), f"rank {rank} got {len(reports)} progress reports"
    say(f"rank {rank}: ok fit_classifier over {world} ranks equals one process ({len(losses)} steps, "
        f"{len(reports)} reports), max relative difference {worst:.2e}")


def scenario_seq2seq_fit():
    """The engine's seq2seq loop (Seq2Seq.fit with ddp=): global batch 12, each rank its rows
    rank::N; equal to one process. Every target row has 4 tokens, so the mean of the ranks'
    mean losses is the global mean."""
    rank, world = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(5)
    src = rng.integers(3, 10, size=(36, 5)).astype(np.int64)
    tgt = (3 + (src[:, :4] + src[:, 1:]) % 7).astype(np.int64)

    def build(seed):
        swiftnn.manual_seed(seed)
        return swiftnn.models.Seq2Seq(10, 10, 6, 8, attention="dot")
    ref = build(2)
    start = params(ref)
    model = build(2 if rank == 0 else 20 + rank)
    ddp = DDP(model, bucket_cap_mb=0.001)
    opt = swiftnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = model.fit(src, tgt, opt, epochs=2, batch_size=12, seed=4, max_grad_norm=1.0, ddp=ddp)
    ref_opt = swiftnn.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    ref.fit(src, tgt, ref_opt, epochs=2, batch_size=12, seed=4, max_grad_norm=1.0)
    worst = compare(params(model), params(ref), "seq2seq fit")
    moved = max(float(np.max(np.abs(params(ref)[k] - start[k]))) for k in start)
    assert len(losses) == 6 and moved > 1e-3, (len(losses), moved)
    say(f"rank {rank}: ok seq2seq_fit over {world} ranks equals one process (6 steps), max relative difference {worst:.2e}")


def scenario_deterministic(name, control=False):
    """DDP(deterministic=True): the same bits on every rank, in a second run, and as one
    process that computes every rank's share of each batch, divides each gradient by N in
    float32 and adds them in rank order (what the option promises, exactly). control=True runs
    MPI's allreduce instead and only reports whether it matched the rank-order sum."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, kind = dataset(name)

    def run():
        model = initial(name, 1 if rank == 0 else 300 + rank)
        train(DDP(model, bucket_cap_mb=0.01, deterministic=not control), x, y, kind, world, rank, STEPS)
        return model
    first = params(run())
    if control:
        want = rank_order_reference(name, x, y, kind, world)
        same = all(np.array_equal(first[k], want[k]) for k in want)
        say(f"rank {rank}: ok {name} allreduce control over {world} ranks: "
            f"{'equals' if same else 'differs from'} the rank-order sum")
        return
    second = params(run())
    for k in first:
        assert np.array_equal(first[k], second[k]), f"{name}: a second run differs in {k}"
        mine = swiftnn.tensor(first[k].ravel())
        everyone = [swiftnn.zeros(mine.shape[0]) for _ in range(world)]
        dist.all_gather(everyone, mine)
        for r, t in enumerate(everyone):
            assert np.array_equal(t.numpy(), first[k].ravel()), f"{name}: rank {r} differs from rank {rank} in {k}"
    want = rank_order_reference(name, x, y, kind, world)
    differing = [k for k in want if not np.array_equal(first[k], want[k])]
    assert not differing, f"{name}: deterministic DDP differs from the rank-order sum in one process in {differing}"
    say(f"rank {rank}: ok {name} deterministic over {world} ranks: bit-for-bit across ranks, runs and the "
        f"rank-order sum in one process")


def rank_order_reference(name, x, y, kind, world):
    """One process: each step, every rank's share of the batch in turn, its gradient divided
    by world in float32, added in rank order; then the optimizer step."""
    ref = initial(name, 1)
    opt = swiftnn.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    shares = [batches(x.shape[0], world, r, 0, GLOBAL_BATCH // world)[:STEPS] for r in range(world)]
    scale = np.float32(1.0 / world)
    named = list(ref.named_parameters())
    for step in range(STEPS):
        total = None
        for r in range(world):
            ib = swiftnn.tensor(shares[r][step], dtype=swiftnn.int64)
            opt.zero_grad()
            loss_fn(kind, ref(x.index_select(0, ib)), y.index_select(0, ib)).backward()
            g = [p.grad.numpy().astype(np.float32) * scale for _, p in named]
            total = g if total is None else [a + b for a, b in zip(total, g)]
        for (_, p), g in zip(named, total):
            p.grad = swiftnn.tensor(g)
        opt.step()
    return params(ref)


SCENARIOS = {
    "seq2seq_fit": scenario_seq2seq_fit,
    "deterministic": scenario_deterministic,
    "deterministic_control": lambda name: scenario_deterministic(name, control=True),
    "equivalence": scenario_equivalence,
    "fit": scenario_fit,
    "collectives": scenario_collectives,
    "mismatch": scenario_mismatch,
    "no_sync": scenario_no_sync,
    "resume": scenario_resume,
    "fault": scenario_fault,
}


def main():
    """dist_worker.py SCENARIO [ARGS...], or several in one run (one mpirun start instead of
    several): dist_worker.py "collectives+equivalence:mlp+no_sync"."""
    if len(sys.argv) > 2 or "+" not in sys.argv[1] and ":" not in sys.argv[1]:
        specs = [sys.argv[1:]]
    else:
        specs = [spec.split(":") for spec in sys.argv[1].split("+")]
    for name, *_ in specs:
        if name not in SCENARIOS:
            raise SystemExit(f"unknown scenario {name}")
    timeout = float(os.environ.get("DIST_TIMEOUT", "60"))
    dist.init_process_group(backend="mpi", timeout=timeout)
    for name, *args in specs:
        SCENARIOS[name](*args)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
