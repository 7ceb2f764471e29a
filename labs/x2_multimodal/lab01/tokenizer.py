"""A word-level tokenizer for the closed grammar universe of lab 01.

The universe is small and closed (a few dozen words: pronouns, auxiliaries and verb forms), so
one id per word is exact: no sub-word merges, no unknown words at inference. Position 0 of
every sequence holds `<cls>`, whose final state the text encoder pools (as ViT pools its class
token); `<pad>` fills the tail and is masked out of attention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from labs.x2_multimodal.lab01.given import CLS, PAD, SPECIALS  # noqa: F401


def build_vocab(texts: Iterable[str]) -> list[str]:
    """The specials, then every distinct whitespace-separated word of `texts`, sorted."""
    words = sorted({word for text in texts for word in text.split()})
    clash = [w for w in words if w in SPECIALS]
    if clash:
        raise ValueError(f"texts contain the reserved tokens {clash}; rename them")
    return [*SPECIALS, *words]


def tokenize(
    texts: Sequence[str], vocab: Sequence[str], max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (N, L) int64 and a validity mask (N, L) bool for N texts.

    Row n is `<cls>`, the ids of the words of texts[n], then `<pad>` up to L. L is `max_len`,
    or 1 + the longest text's word count when `max_len` is None.
    """
    index = {token: i for i, token in enumerate(vocab)}
    split = [text.split() for text in texts]
    longest = 1 + max((len(words) for words in split), default=0)
    length = longest if max_len is None else max_len
    if length < longest:
        raise ValueError(f"max_len={max_len} is too short: the longest text needs {longest} tokens")
    ids = np.full((len(texts), length), index[PAD], dtype=np.int64)
    for n, words in enumerate(split):
        unknown = [w for w in words if w not in index]
        if unknown:
            raise ValueError(
                f"unknown word(s) {unknown} in {texts[n]!r}; the vocabulary has "
                f"{len(vocab)} tokens built by build_vocab from the grammar universe"
            )
        ids[n, 0] = index[CLS]
        ids[n, 1 : 1 + len(words)] = [index[w] for w in words]
    return ids, ids != index[PAD]
