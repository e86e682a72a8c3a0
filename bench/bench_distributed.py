"""Data-parallel scaling on this machine (docs/distributed.md): allreduce times for 2 and 3
ranks fitted by an alpha-beta model (t = alpha + bytes / bandwidth), images/s (characters/s)
for 1, 2 and 3 ranks on LeNet-5 and a char-LSTM with the same total threads (1 rank x 2
threads, 2 ranks x 1, 3 ranks x 1 oversubscribed), the share of step time in allreduce and
how much of it backward hid, and the model's prediction of that share and of the speed-up
checked against the measurements.

    python3 bench/bench_distributed.py [--quick] [--plot docs/distributed.png]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "dist_bench_worker.py")
LIB = os.environ.get("SWIFTNN_LIB", os.path.join(HERE, "..", "build", "lib", "libswiftnn.so"))


def run(np_, threads, *args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), SWIFTNN_LIB=LIB)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = ["mpirun", "--oversubscribe", "-np", str(np_), "-x", "OPENBLAS_NUM_THREADS", "-x", "SWIFTNN_LIB",
           sys.executable, WORKER, *map(str, args)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")


def fit_alpha_beta(times):
    """t = alpha + beta * bytes, least squares on the relative error (weights 1/t^2), so the
    small messages' latency counts as much as the large ones' bandwidth."""
    xs = [float(k) for k in times]
    ys = [times[k] for k in times]
    w = [1 / y ** 2 for y in ys]
    s0, s1, s2 = sum(w), sum(wi * x for wi, x in zip(w, xs)), sum(wi * x * x for wi, x in zip(w, xs))
    t0, t1 = sum(wi * y for wi, y in zip(w, ys)), sum(wi * x * y for wi, x, y in zip(w, xs, ys))
    det = s0 * s2 - s1 * s1
    return (t0 * s2 - t1 * s1) / det, (s0 * t1 - s1 * t0) / det


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps (a check that it runs)")
    ap.add_argument("--plot", default=None)
    ap.add_argument("--out", default=os.path.join(HERE, "distributed_results.json"))
    ap.add_argument("--from-json", default=None, help="re-analyse a previous run's results instead of measuring")
    a = ap.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            res = json.load(f)
        res["allreduce"] = {int(p): v for p, v in res["allreduce"].items()}
        report(res, a)
        return
    steps = 5 if a.quick else 20
    res = {"allreduce": {}, "train": []}
    for p in (2, 3):
        res["allreduce"][p] = {"times": run(p, 1, "allreduce")["allreduce"]}
    for model, batch, buckets in CONFIGS:
        for p, threads in ((1, 1), (1, 2), (2, 1), (3, 1)):
            for bucket in (buckets if p > 1 else buckets[:1]):
                r = run(p, threads, model, batch, steps, bucket)
                r["threads_per_rank"] = threads
                res["train"].append(r)
        for p in (2, 3):  # one rank's compute at the per-rank batch, for the model
            r = run(1, 1, model, batch // p, steps, buckets[0])
            r["threads_per_rank"] = 1
            res["train"].append(r)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"wrote {a.out}")
    report(res, a)


# (model, global batch, bucket sizes in MB): PyTorch's 25 MB puts each model in one bucket,
# whose allreduce can only start when backward ends; small buckets let it overlap.
CONFIGS = [("lenet", 192, (25.0, 0.05)), ("charlstm", 24, (25.0, 0.25))]


def report(res, a):
    for p, ab in res["allreduce"].items():
        ab["alpha"], ab["beta"] = fit_alpha_beta({int(k): v for k, v in ab["times"].items()})
        print(f"allreduce, {p} ranks: alpha {ab['alpha'] * 1e6:.0f} us, bandwidth {1 / ab['beta'] / 1e9:.2f} GB/s")
        for k, v in ab["times"].items():
            print(f"   {int(k):>9} bytes  {v * 1e3:8.3f} ms   model {(ab['alpha'] + ab['beta'] * int(k)) * 1e3:8.3f} ms")
    print()
    print("| model | ranks x threads | bucket MB (buckets) | global batch | step ms | items/s | allreduce ms (share) | hidden by backward | exposed wait ms | predicted share | predicted items/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cores = 2
    for model, batch, _ in CONFIGS:
        rows = [r for r in res["train"] if r["model"] == model]
        for r in rows:
            pred_share, pred_speed = "", ""
            if r["world"] > 1:
                p = r["world"]
                ab = res["allreduce"][p]
                # the model: a step is one rank's compute at its batch B/p (measured alone, 1
                # thread; ranks beyond the cores share them) plus the allreduce of all
                # gradients, t = alpha + beta * bytes, with no overlap assumed
                cp = next(q for q in rows if q["world"] == 1 and q["threads_per_rank"] == 1
                          and q["global_batch"] == r["global_batch"] // p)
                comm = ab["alpha"] + ab["beta"] * 4 * r["params"]
                compute = cp["step_seconds"] * max(1.0, p / cores)
                pred_share = f"{comm / (compute + comm):.0%}"
                pred_speed = f"{r['items_per_second'] * r['step_seconds'] / (compute + comm):.0f}"
                r["predicted_share"] = comm / (compute + comm)
                r["predicted_items_per_second"] = r["items_per_second"] * r["step_seconds"] / (compute + comm)
            ar = (f"{r['allreduce_seconds'] * 1e3:.2f} ({r['allreduce_seconds'] / r['step_seconds']:.0%})"
                  if "allreduce_seconds" in r else "-")
            hid = (f"{r['hidden_seconds'] / max(r['allreduce_seconds'], 1e-12):.0%}" if "hidden_seconds" in r else "-")
            ew = f"{r['exposed_wait_seconds'] * 1e3:.2f}" if "exposed_wait_seconds" in r else "-"
            bk = f"{r.get('bucket_cap_mb', '')} ({r['buckets']})" if "buckets" in r else "-"
            print(f"| {model} ({r['params']:,} params) | {r['world']} x {r['threads_per_rank']} | {bk} | {r['global_batch']} | "
                  f"{r['step_seconds'] * 1e3:.1f} | {r['items_per_second']:.0f} | {ar} | {hid} | {ew} | {pred_share} | {pred_speed} |")
    if a.plot:
        plot(res, a.plot)


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for p, ab in res["allreduce"].items():
        xs = sorted(int(k) for k in ab["times"])
        ax1.loglog(xs, [ab["times"][str(x)] if str(x) in ab["times"] else ab["times"][x] for x in xs], "o", label=f"{p} ranks measured")
        ax1.loglog(xs, [ab["alpha"] + ab["beta"] * x for x in xs], "-", label=f"{p} ranks alpha-beta")
    ax1.set_xlabel("bytes"); ax1.set_ylabel("allreduce seconds"); ax1.legend(); ax1.set_title("allreduce: measured and model")
    # predicted share of step time in allreduce vs parameter count, for LeNet-5's compute time
    params = [10 ** k for k in range(4, 9)]
    for p, ab in res["allreduce"].items():
        c = [r for r in res["train"] if r["model"] == "lenet" and r["world"] == 1 and r["threads_per_rank"] == 1
             and r["global_batch"] == 192 // int(p)][0]
        compute = c["step_seconds"] * max(1.0, int(p) / 2)
        ax2.semilogx(params, [(ab["alpha"] + ab["beta"] * 4 * n) / (compute + ab["alpha"] + ab["beta"] * 4 * n) for n in params],
                     label=f"{p} ranks (model)")
        for r in res["train"]:
            if r["world"] == int(p) and "allreduce_seconds" in r and r["model"] == "lenet":
                ax2.semilogx([r["params"]], [r["allreduce_seconds"] / r["step_seconds"]], "o", label=f"{p} ranks LeNet-5 measured")
    ax2.set_xlabel("parameters"); ax2.set_ylabel("share of step in allreduce")
    ax2.set_title("where more ranks stop paying (LeNet-5 compute per step)"); ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
