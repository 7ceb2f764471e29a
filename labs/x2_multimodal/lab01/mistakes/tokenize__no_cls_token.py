"""MISTAKE: rows start with the first word, no <cls>

task: tokenize
caught_by: test_tokenize_writes_cls_then_words_then_padding
why: every row starts with the <cls> id: with 'cls' pooling the text tower reads position 0, and
  L counts it.
hint: row n is [<cls>, words..., <pad>...]; L is 1 + the longest text.
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
        missing = [w for w in words if w not in index]
        if missing:
            raise ValueError(f"unknown words {missing} in text {texts[n]!r}")
        row = [index[w] for w in words]
        ids[n, : len(row)] = row
        mask[n, : len(row)] = True
    return ids, mask
