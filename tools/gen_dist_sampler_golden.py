"""Writes Tests/golden/distributed_sampler.json: torch.utils.data.DistributedSampler's indices
for a grid of (dataset size, replicas, rank, shuffle, seed, epoch, drop_last), which the
engine's snn_dist_sampler_indices must reproduce exactly (C and Python tests read it).
Needs torch (run by hand; the output is committed)."""
import json
import os

import torch
from torch.utils.data import DistributedSampler

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "golden", "distributed_sampler.json")


def main():
    cases = []
    for n in (0, 1, 5, 10, 17, 64, 1000):
        for replicas in (1, 2, 3, 4):
            for shuffle in (True, False):
                for drop_last in (False, True):
                    for seed, epoch in ((0, 0), (0, 1), (7, 3), (123456789, 2)):
                        if not shuffle and (seed, epoch) != (0, 0):
                            continue
                        for rank in range(replicas):
                            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle,
                                                   seed=seed, drop_last=drop_last)
                            s.set_epoch(epoch)
                            cases.append({"n": n, "num_replicas": replicas, "rank": rank, "shuffle": shuffle,
                                          "seed": seed, "epoch": epoch, "drop_last": drop_last,
                                          "indices": [int(i) for i in s]})
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
