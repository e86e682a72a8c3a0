"""The cost of DistributedDataParallel's deterministic reduction order (docs/distributed.md):
step time of LeNet-5 and the char-LSTM of bench_distributed.py on 2 ranks (one BLAS thread
each) with MPI_Allreduce and with the rank-order sum (MPI_Allgather + adding in rank order),
alternating the two modes so that the loaded machine's drift hits both alike. Each run's step
is the 25th percentile of its steps; the table gives the median over the repeats.

    python3 bench/bench_ddp_deterministic.py [--repeats 3] [--steps 30] [--ranks 2]
"""
import argparse
import statistics

from bench_distributed import run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    cases = [("lenet", 64, 25.0), ("lenet", 64, 0.05), ("charlstm", 24, 25.0)]
    print(f"{a.ranks} ranks x 1 thread, {a.steps} steps per run, median of {a.repeats} runs")
    print("| model | global batch | buckets | MPI_Allreduce step | deterministic step | cost | allreduce / gather+sum |")
    print("|---|---|---|---|---|---|---|")
    for name, batch, cap in cases:
        got = {False: [], True: []}
        for _ in range(a.repeats):
            for det in (False, True):
                got[det].append(run(a.ranks, 1, name, batch, a.steps, cap, *(["deterministic"] if det else [])))
        step = {d: statistics.median(r["step_seconds"] for r in got[d]) for d in got}
        comm = {d: statistics.median(r["allreduce_seconds"] for r in got[d]) for d in got}
        print(f"| {name} | {batch} | {got[False][0]['buckets']} ({cap} MB cap) | {step[False] * 1e3:.2f} ms | "
              f"{step[True] * 1e3:.2f} ms | {100 * (step[True] / step[False] - 1):+.0f}% | "
              f"{comm[False] * 1e3:.2f} / {comm[True] * 1e3:.2f} ms |")


if __name__ == "__main__":
    main()
