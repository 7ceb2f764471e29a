"""MISTAKE: a short max_len left to NumPy's broadcast error

task: tokenize
caught_by: test_tokenize_rejects_unknown_words_and_short_max_len
why: NumPy raises 'could not broadcast input array from shape (3,) into shape (2,)', a
  ValueError that names no max_len: the contract's error says which argument is wrong and by how
  much.
hint: check max_len against 1 + the longest text yourself and raise a ValueError that names
  max_len.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: tokenize


def _row_length(split, max_len):
    need = 1 + max((len(s) for s in split), default=0)
    return need if max_len is None else max_len
