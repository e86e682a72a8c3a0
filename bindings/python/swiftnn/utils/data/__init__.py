"""torch.utils.data's names over SwiftNN tensors: Dataset, TensorDataset, Subset,
ConcatDataset, random_split, the samplers, and a DataLoader with worker processes.

    from swiftnn.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    for xb, yb in loader: ...

A TensorDataset batched by the default collate goes through one index_select per tensor
per batch (the engine's gather), not a Python loop over samples. Shuffled orders follow the
engine's documented rule (snn_data_shuffle_order in swiftnn/data.h), so a seeded Generator
gives the same order as swiftnn.data.DataLoader and the C and Swift loaders.
"""
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from .dataloader import DataLoader, default_collate, get_worker_info
from .distributed import DistributedSampler
from . import distributed  # noqa: F401  (torch.utils.data.distributed)

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "IterableDataset", "RandomSampler",
           "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "default_collate", "get_worker_info", "random_split"]
