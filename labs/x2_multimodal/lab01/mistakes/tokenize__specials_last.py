"""MISTAKE: special tokens appended after the words

task: tokenize
caught_by: test_vocab_is_specials_then_the_sorted_words_of_the_universe
why: '<pad>' must be id 0 and '<cls>' id 1: the model's padding mask and pooling read those ids.
hint: the vocabulary starts ["<pad>", "<cls>", ...].
"""

from __future__ import annotations

import math

import numpy as np

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: tokenize


def build_vocab(texts):
    words = sorted({w for t in texts for w in t.split()})
    return [*words, PAD, CLS]


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
        missing = [w for w in words if w not in index]
        if missing:
            raise ValueError(f"unknown words {missing} in text {texts[n]!r}")
        row = [index[CLS]] + [index[w] for w in words]
        ids[n, : len(row)] = row
        mask[n, : len(row)] = True
    return ids, mask
