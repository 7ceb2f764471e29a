"""MISTAKE: an unknown word silently becomes <pad>

task: tokenize
caught_by: test_tokenize_rejects_unknown_words_and_short_max_len
why: the contract raises ValueError naming the word; mapping it to <pad> trains on a text that
  says something else.
hint: raise ValueError naming the words that are not in the vocabulary.
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
    if length < need:
        raise ValueError(f"max_len={max_len} is too short; a text needs {need} tokens")
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=bool)
    for n, words in enumerate(split):
        row = [index[CLS]] + [index.get(w, 0) for w in words]
        ids[n, : len(row)] = row
        mask[n, : len(row)] = True
    return ids, mask
