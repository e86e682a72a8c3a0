"""swiftnn.utils.data against torch.utils.data's contract: datasets, samplers, collation,
random_split, worker processes, and the engine's shuffle rule shared with swiftnn.data."""
import numpy as np
import pytest

import swiftnn
from swiftnn.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                                SequentialSampler, Subset, TensorDataset, default_collate, get_worker_info,
                                random_split)


def xy(n=10):
    x = swiftnn.from_numpy(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = swiftnn.from_numpy(np.arange(n, dtype=np.int64))
    return x, y


def test_tensor_dataset_items_and_batches():
    x, y = xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    assert xi.tolist() == [12.0, 13.0, 14.0] and yi.item() == 4
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert batches[2][1].tolist() == [8, 9] and batches[0][1].dtype == swiftnn.int64
    assert len(list(DataLoader(ds, batch_size=4, drop_last=True))) == 2 == len(DataLoader(ds, batch_size=4, drop_last=True))


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(swiftnn.zeros(3, 2), swiftnn.zeros(4))


def test_shuffle_follows_the_engine_rule():
    """A seeded generator gives the engine loader's order, epoch after epoch."""
    x, y = xy(50)
    g = swiftnn.Generator().manual_seed(1234)
    ours = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True, generator=g)
    engine = swiftnn.data.DataLoader(x, y, batch_size=50, shuffle=True, seed=1234)
    for _ in range(3):
        (_, a), = list(ours)
        (_, b), = list(engine)
        assert a.tolist() == b.tolist()
        assert sorted(a.tolist()) == list(range(50)) and a.tolist() != list(range(50))


def test_shuffle_without_generator_follows_manual_seed():
    ds = TensorDataset(*xy(30))
    swiftnn.manual_seed(7)
    a = [b[1].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)]
    swiftnn.manual_seed(7)
    b = [b[1].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(30))


def test_random_split():
    parts = random_split(range(10), [0.33, 0.33, 0.34], generator=swiftnn.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 3, 3]  # PyTorch deals the remainder round-robin
    assert sorted(i for p in parts for i in p) == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 4])
    a = random_split(range(10), [5, 5], generator=swiftnn.Generator().manual_seed(3))
    b = random_split(range(10), [5, 5], generator=swiftnn.Generator().manual_seed(3))
    assert list(a[0]) == list(b[0])


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        if i == 5 and getattr(self, "fail", False):
            raise KeyError("sample 5 is broken")
        return {"x": np.full(2, i, dtype=np.float32), "i": i, "name": f"s{i}"}


def test_default_collate_types():
    b = default_collate([Squares()[i] for i in range(3)])
    assert b["x"].shape == (3, 2) and b["x"].dtype == swiftnn.float32
    assert b["i"].tolist() == [0, 1, 2] and b["i"].dtype == swiftnn.int64
    assert b["name"] == ["s0", "s1", "s2"]
    t = default_collate([(swiftnn.ones(2), 1), (swiftnn.zeros(2), 2)])
    assert isinstance(t, tuple) and t[0].tolist() == [[1, 1], [0, 0]]


def test_workers_give_the_same_batches_in_order():
    one = [(b["x"].tolist(), b["i"].tolist()) for b in DataLoader(Squares(), batch_size=2)]
    two = [(b["x"].tolist(), b["i"].tolist()) for b in DataLoader(Squares(), batch_size=2, num_workers=2)]
    assert one == two and len(one) == 4


def test_worker_error_names_the_original_exception():
    ds = Squares()
    ds.fail = True
    with pytest.raises(RuntimeError, match="Caught KeyError in DataLoader worker process 1"):
        list(DataLoader(ds, batch_size=1, num_workers=2))


class Stream(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, 8, step))


def test_iterable_dataset_with_workers_splits_the_stream():
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    got = [b.tolist() for b in DataLoader(Stream(), batch_size=2, num_workers=2)]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7]]  # PyTorch interleaves the workers the same way


def test_samplers_and_subset_and_concat():
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    r = list(RandomSampler(range(6), generator=swiftnn.Generator().manual_seed(2)))
    assert sorted(r) == list(range(6))
    assert len(list(RandomSampler(range(6), num_samples=9, generator=swiftnn.Generator()))) == 9
    s = Subset(range(10), [7, 2])
    assert [s[0], s[1]] == [7, 2]
    c = ConcatDataset([range(3), range(10, 12)])
    assert [c[i] for i in range(len(c))] == [0, 1, 2, 10, 11]
    (_, order), = list(swiftnn.data.DataLoader(swiftnn.zeros(5, 1), swiftnn.arange(5), batch_size=5, shuffle=True, seed=2))
    perm = swiftnn.randperm(5, generator=swiftnn.Generator().manual_seed(2))
    assert perm.dtype == swiftnn.int64 and perm.tolist() == [int(v) for v in order.tolist()]


def test_errors_say_what_to_fix():
    ds = TensorDataset(*xy())
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(swiftnn.InvalidArgumentError, match="snn_data_shuffle_order: n is -1"):
        swiftnn.randperm(-1)
