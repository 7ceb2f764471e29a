"""MISTAKE: a short max_len left to NumPy's broadcast error

task: tokenize
caught_by: test_tokenize_rejects_unknown_words_and_short_max_len
why: NumPy raises 'could not broadcast input array from shape (3,) into shape (2,)', a
  ValueError that names no max_len: the contract's error says which argument is wrong and by how
  much.
hint: check max_len against 1 + the longest text yourself and raise a ValueError that names
  max_len.
"""

from __future__ import annotations

import math

import numpy as np

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: tokenize


def build_vocab(texts):
    words = sorted({w for t in texts for w in t.split()})
    return [PAD, CLS, *words]


def tokenize(texts, vocab, max_len=None):
    index = {w: i for i, w in enumerate(vocab)}
    split = [t.split() for t in texts]
    need = 1 + max((len(s) for s in split), default=0)
    length = need if max_len is None else max_len
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=bool)
    for n, words in enumerate(split):
        missing = [w for w in words if w not in index]
        if missing:
            raise ValueError(f"unknown words {missing} in text {texts[n]!r}")
        row = [index[CLS]] + [index[w] for w in words]
        ids[n, : len(row)] = row
        mask[n, : len(row)] = True
    return ids, mask
