"""swiftnn.models.CharRNN (swiftnn/charrnn.h): errors instead of crashes, deterministic
sampling, checkpoint round trip, learning a small synthetic text."""
import pytest

import swiftnn
from swiftnn.models import CharRNN

TEXT = "the cat sat on the mat. " * 250


def test_vocab():
    assert CharRNN.vocab_of("banana") == b"abn"
    assert CharRNN(b"xyz", embed=4, hidden=8, layers=1).vocab == b"xyz"


@pytest.mark.parametrize("args", [(b"",), (b"aa",), (b"ab", 0), (b"ab", 4, -1), (b"ab", 4, 8, 0), (b"ab", 4, 8, 100)])
def test_bad_constructor(args):
    with pytest.raises(swiftnn.InvalidArgumentError):
        CharRNN(*args)


def test_bad_calls():
    m = CharRNN(b"abc", embed=4, hidden=8, layers=2)
    with pytest.raises(swiftnn.InvalidArgumentError):
        m.sample("a", 10, temperature=0)
    with pytest.raises(swiftnn.OutOfRangeError, match="offset 1"):
        m.sample("ax", 10)
    with pytest.raises(ValueError):
        m.sample("a", -1)
    with pytest.raises(swiftnn.OutOfRangeError):
        m.fit("abcdabcd" * 10, seq_len=4, batch_size=2, max_steps=1)
    with pytest.raises(swiftnn.InvalidArgumentError):
        m.fit("abc", seq_len=4, batch_size=8, max_steps=1)
    with pytest.raises(swiftnn.InvalidArgumentError):
        m.fit("abc" * 20, seq_len=0, batch_size=2)
    with pytest.raises(swiftnn.InvalidArgumentError):
        m.fit("abc" * 20, seq_len=4, batch_size=2, lr=float("nan"))
    with pytest.raises(swiftnn.InvalidArgumentError):
        m.evaluate("a")
    with pytest.raises(TypeError):
        m.fit(123)
    assert m.sample("", 5, seed=1) == m.sample("", 5, seed=1)


def test_progress_callback_can_stop_and_raise():
    m = CharRNN(CharRNN.vocab_of(TEXT), embed=4, hidden=8, layers=1)
    seen = []
    losses = m.fit(TEXT, seq_len=10, batch_size=4, max_steps=20, report_every=2,
                   progress=lambda p: seen.append(p["global_step"]) or len(seen) < 3)
    assert seen == [2, 4, 6] and len(losses) == 6

    def boom(p):
        raise RuntimeError("stop here")
    with pytest.raises(RuntimeError, match="stop here"):
        m.fit(TEXT, seq_len=10, batch_size=4, max_steps=4, report_every=1, progress=boom)


def test_learns_samples_deterministically_and_round_trips(tmp_path):
    swiftnn.manual_seed(3)
    m = CharRNN(CharRNN.vocab_of(TEXT), embed=8, hidden=32, layers=2)
    before = m.evaluate(TEXT, seq_len=50, batch_size=4)
    losses = m.fit(TEXT, seq_len=25, batch_size=8, epochs=100, max_steps=120, lr=1e-2)
    assert len(losses) == 120 and losses[-1] < losses[0]
    after = m.evaluate(TEXT, seq_len=50, batch_size=4)
    assert after < 0.5 * before and after < 1.0
    a = m.sample("the ", 100, temperature=0.5, seed=7)
    assert a == m.sample("the ", 100, temperature=0.5, seed=7)
    assert a.startswith("the ") and len(a) == 104
    assert any(w in a for w in ("cat", "mat", "sat"))
    path = tmp_path / "c.safetensors"
    m.save(path)
    again = CharRNN.load(path)
    assert again.vocab == m.vocab and again.hidden == 32 and again.layers == 2
    assert again.sample("the ", 100, temperature=0.5, seed=7) == a
    assert again.evaluate(TEXT, seq_len=50, batch_size=4) == after
    assert isinstance(again.sample(b"the ", 3), bytes)


def test_sampling_is_the_same_text_on_one_or_two_workers():
    """With two threads the fused sampler splits each step's hidden units and the head's rows
    between two workers; every product row and gate is computed as by one worker, so the text
    must not change (hidden 128: the smallest size that uses two workers)."""
    swiftnn.manual_seed(3)
    m = CharRNN(CharRNN.vocab_of(b"abcdefgh ijkl\n"), embed=8, hidden=128, layers=2)
    before = swiftnn.get_num_threads()
    try:
        texts = []
        for threads in (1, 2):
            swiftnn.set_num_threads(threads)
            texts.append(m.sample(prime=b"ab", n=400, temperature=1.3, seed=11))
        assert texts[0] == texts[1]
        assert len(set(texts[0])) > 5  # a high temperature visits much of the vocabulary
    finally:
        swiftnn.set_num_threads(before)
