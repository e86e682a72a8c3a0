"""swiftnn.distributed, DistributedDataParallel and DistributedSampler. Without mpirun: the
one-process group, argument errors, and the sampler against PyTorch's orders
(Tests/golden/distributed_sampler.json, tools/gen_dist_sampler_golden.py). Under mpirun
(2 and 3 ranks, oversubscribed, one BLAS thread each, dist_worker.py): the collectives,
equivalence with one process for an MLP, LeNet-5 and an LSTM, mismatched models, no_sync,
resuming on another number of ranks, and a dead or hung rank. If mpirun is absent, only the
MPI tests skip, saying so (tools/setup.sh installs Open MPI)."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import swiftnn
import swiftnn.distributed as dist
from conftest import GOLDEN, HERE
from swiftnn.utils.data import DistributedSampler

MPIRUN = shutil.which("mpirun")
needs_mpi = pytest.mark.skipif(MPIRUN is None, reason="mpirun not found: install Open MPI (tools/setup.sh: openmpi-bin) "
                               "to run the distributed tests")
WORKER = os.path.join(HERE, "dist_worker.py")


def mpirun(n, *args, timeout=120, dist_timeout=60):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", DIST_TIMEOUT=str(dist_timeout))
    if os.geteuid() == 0:  # Open MPI's documented opt-in for root; the library never sets it
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [MPIRUN, "--oversubscribe", "-np", str(n), "--mca", "btl", "self,vader,tcp",
           "-x", "OPENBLAS_NUM_THREADS", "-x", "DIST_TIMEOUT", "-x", "SWIFTNN_LIB", sys.executable, WORKER, *args]
    start = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return p, time.monotonic() - start


def ok_lines(p, n):
    """The ranks' "rank R: ok ..." reports (mpirun may interleave the ranks' lines)."""
    lines = re.findall(r"rank \d+: ok .*?(?=rank \d+: |\n|$)", p.stdout)
    ranks = sorted(int(re.match(r"rank (\d+)", line).group(1)) for line in lines)
    assert p.returncode == 0 and ranks == list(range(n)), f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return lines


# ---- one process --------------------------------------------------------------------------

def test_one_process_group_without_mpirun():
    code = """
import swiftnn, swiftnn.distributed as dist
assert not dist.is_initialized()
try:
    dist.get_rank(); raise SystemExit('get_rank before init did not raise')
except ValueError as e:
    assert 'init_process_group' in str(e)
dist.init_process_group(backend='mpi')
assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
assert dist.get_backend() == 'local'
t = swiftnn.tensor([1.0, 2.0])
dist.all_reduce(t); dist.all_reduce(t, op=dist.ReduceOp.AVG); dist.broadcast(t, src=0); dist.barrier()
assert t.tolist() == [1.0, 2.0]
out = [swiftnn.zeros(2)]
dist.all_gather(out, t)
assert out[0].tolist() == [1.0, 2.0]
try:
    dist.init_process_group(backend='mpi'); raise SystemExit('second init did not raise')
except ValueError as e:
    assert 'already initialized' in str(e)
try:
    dist.broadcast(t, src=1); raise SystemExit('bad root did not raise')
except IndexError as e:
    assert 'snn_dist_broadcast' in str(e) and 'root 1' in str(e)
try:
    dist.all_reduce(swiftnn.tensor([1, 2]), op=dist.ReduceOp.AVG); raise SystemExit('int AVG did not raise')
except TypeError as e:
    assert 'snn_dist_allreduce' in str(e) and 'int64' in str(e)
m = swiftnn.nn.Linear(3, 2)
from swiftnn.nn.parallel import DistributedDataParallel as DDP
d = DDP(m)
m(swiftnn.ones(4, 3)).sum().backward()
assert m.weight.grad is not None
dist.destroy_process_group()
assert not dist.is_initialized()
print('ok')
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_", "PMI_"))}
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                       cwd=os.path.join(HERE, ".."))
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stdout + p.stderr


def test_init_arguments():
    with pytest.raises(ValueError, match="backend 'nccl'"):
        dist.init_process_group(backend="nccl")
    with pytest.raises(TypeError):
        dist.init_process_group(backend="mpi", timeout="soon")


def test_sampler_matches_pytorch():
    with open(os.path.join(GOLDEN, "distributed_sampler.json")) as f:
        cases = json.load(f)["cases"]
    assert len(cases) > 500
    for c in cases:
        s = DistributedSampler(range(c["n"]), num_replicas=c["num_replicas"], rank=c["rank"], shuffle=c["shuffle"],
                               seed=c["seed"], drop_last=c["drop_last"])
        s.set_epoch(c["epoch"])
        assert list(s) == c["indices"], c
        assert len(s) == len(c["indices"])


def test_sampler_epochs_and_shards():
    n, world = 50, 3
    def shard(rank, epoch):
        s = DistributedSampler(range(n), num_replicas=world, rank=rank, seed=9)
        s.set_epoch(epoch)
        return list(s)
    e0 = [shard(r, 0) for r in range(world)]
    e1 = [shard(r, 1) for r in range(world)]
    assert e0 != e1  # set_epoch reshuffles
    for shards in (e0, e1):
        flat = [i for s in shards for i in s]
        assert len(flat) == 51 and set(flat) == set(range(n))  # padded by one repeat, every sample
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(range(5), num_replicas=3, rank=3)


def test_sync_batchnorm_constructor():
    """nn.SyncBatchNorm(num_features, ...) with PyTorch's signature and state-dict names; before
    init_process_group (and on one rank) it is BatchNorm over the local batch, for inputs
    [N, C], [N, C, L], [N, C, H, W] and [N, C, D, H, W] alike (the 2-rank run compares it with
    one process: equivalence:syncbn_new)."""
    import numpy as np
    nn = swiftnn.nn
    assert issubclass(nn.SyncBatchNorm, nn.Module)
    sbn = nn.SyncBatchNorm(3, eps=1e-3, momentum=0.2)
    assert sorted(sbn.state_dict()) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]
    rng = np.random.default_rng(0)
    for shape, ref in [((4, 3), nn.BatchNorm1d(3, eps=1e-3, momentum=0.2)),
                       ((4, 3, 5), nn.BatchNorm1d(3, eps=1e-3, momentum=0.2)),
                       ((2, 3, 4, 5), nn.BatchNorm2d(3, eps=1e-3, momentum=0.2)),
                       ((2, 3, 2, 3, 4), None)]:
        sbn = nn.SyncBatchNorm(3, eps=1e-3, momentum=0.2)
        x = swiftnn.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        y = sbn(x)
        assert tuple(y.shape) == shape
        flat = x.detach().numpy().swapaxes(0, 1).reshape(3, -1)
        want = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-3)
        got = y.detach().numpy().swapaxes(0, 1).reshape(3, -1)
        assert np.allclose(got, want, atol=1e-5), shape
        assert np.allclose(sbn.running_mean.numpy(), 0.2 * flat.mean(1), atol=1e-6)
        if ref is not None:
            assert np.allclose(ref(x).detach().numpy(), y.detach().numpy(), atol=1e-6)
        (y * y).sum().backward()
        assert x.grad is not None and tuple(x.grad.shape) == shape
    with pytest.raises(ValueError, match="expected at least 2D input"):
        nn.SyncBatchNorm(3)(swiftnn.ones(3))
    with pytest.raises(NotImplementedError, match="process_group"):
        nn.SyncBatchNorm(3, process_group=object())


# ---- under mpirun -------------------------------------------------------------------------

# Scenarios that end normally share one mpirun per world size (a start costs seconds here);
# each test then checks its own scenario's report from every rank.
BATCHES = {2: ["collectives", "equivalence:mlp", "equivalence:lenet", "equivalence:syncbn", "no_sync", "fit", "mismatch",
               "equivalence:syncbn_new",
               "seq2seq_fit", "deterministic:mlp", "deterministic:lenet", "deterministic:lstm"],
           3: ["collectives", "equivalence:mlp", "equivalence:lstm", "equivalence:syncbn", "no_sync", "fit",
               "seq2seq_fit", "deterministic:mlp", "deterministic:lstm"]}
_batch_runs = {}


def reports(n, what):
    """Every rank's "ok <what>" line from the shared n-rank run."""
    if n not in _batch_runs:
        _batch_runs[n] = mpirun(n, "+".join(BATCHES[n]), timeout=300)[0]
    p = _batch_runs[n]
    lines = re.findall(r"rank \d+: ok .*?(?=rank \d+: |\n|$)", p.stdout)
    mine = [line for line in lines if f": ok {what}" in line]
    ranks = sorted(int(re.match(r"rank (\d+)", line).group(1)) for line in mine)
    assert ranks == list(range(n)), f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return mine


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_collectives(n):
    reports(n, "collectives")


@needs_mpi
@pytest.mark.parametrize("model,n", [("mlp", 2), ("mlp", 3), ("lenet", 2), ("lstm", 3), ("syncbn", 2), ("syncbn", 3),
                                         ("syncbn_new", 2)])
def test_equivalence_with_one_process(model, n):
    reports(n, f"{model} equivalence")


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_engine_fit_loop_with_ddp(n):
    reports(n, "fit_classifier")


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_seq2seq_fit_with_ddp(n):
    reports(n, "seq2seq_fit")


@needs_mpi
@pytest.mark.parametrize("model,n", [("mlp", 2), ("mlp", 3), ("lenet", 2), ("lstm", 2), ("lstm", 3)])
def test_deterministic_reduction_is_bit_for_bit(model, n):
    reports(n, f"{model} deterministic")


@needs_mpi
def test_deterministic_order_matters_on_four_ranks():
    """On 2 and 3 ranks, for these sizes, Open MPI 4.1.4's allreduce happens to add in rank
    order too, so the tests above would pass without the option; on 4 ranks it adds in
    another order, and only the deterministic order matches the rank-order sum."""
    p, _ = mpirun(4, "deterministic:mlp+deterministic_control:mlp", timeout=300)
    lines = re.findall(r"rank \d+: ok .*?(?=rank \d+: |\n|$)", p.stdout)
    assert p.returncode == 0 and sum("mlp deterministic over 4 ranks" in line for line in lines) == 4, p.stdout + p.stderr
    control = [line for line in lines if "allreduce control" in line]
    assert len(control) == 4, p.stdout + p.stderr
    assert all("differs from" in line for line in control), (
        "MPI's allreduce summed in rank order on 4 ranks: this test no longer shows that the deterministic "
        "option matters\n" + "\n".join(control))


@needs_mpi
def test_mismatched_models_are_reported():
    lines = reports(2, "mismatch")
    assert any("[21, 10]" in line for line in lines)


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_no_sync_accumulates(n):
    reports(n, "no_sync")


@needs_mpi
def test_all_batched_scenarios_finished():
    for n in BATCHES:
        reports(n, "collectives")  # runs the batch if no test did yet
        p = _batch_runs[n]
        oks = re.findall(r"rank \d+: ok ", p.stdout)
        assert p.returncode == 0 and len(oks) == n * len(BATCHES[n]), p.stdout + p.stderr


@needs_mpi
def test_local_batchnorm_is_not_global():
    """Without SyncBatchNorm each rank normalises with its own statistics (PyTorch's default),
    so the data-parallel run differs from one process: the test above can fail."""
    p, _ = mpirun(2, "equivalence", "localbn")
    assert p.returncode != 0 and "parameters differ" in p.stdout + p.stderr, p.stdout + p.stderr


@needs_mpi
def test_resume_on_another_number_of_ranks(tmp_path):
    path = str(tmp_path / "ckpt.safetensors")
    ok_lines(mpirun(2, "resume", "save", path)[0], 2)
    assert os.path.exists(path) and not os.path.exists(path + ".tmp")
    ok_lines(mpirun(3, "resume", "load", path)[0], 3)


@needs_mpi
def test_hung_rank_gives_the_others_an_error():
    p, seconds = mpirun(2, "fault", "hang", dist_timeout=3, timeout=90)
    assert p.returncode != 0
    assert "rank 0: error at step 3" in p.stdout and "timed out after 3.0 s" in p.stdout, p.stdout + p.stderr
    assert seconds < 60


@needs_mpi
def test_dead_rank_ends_the_job():
    # Open MPI's own rule: mpirun notices the killed rank and terminates the others.
    p, seconds = mpirun(2, "fault", "die", dist_timeout=30, timeout=90)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "finished without noticing" not in out
    assert "signal 9" in out or "Killed" in out or "rank 0: error" in out, out
    assert seconds < 60
