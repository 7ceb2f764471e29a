"""MISTAKE: an unknown word silently becomes <pad>

task: tokenize
caught_by: test_tokenize_rejects_unknown_words_and_short_max_len
why: the contract raises ValueError naming the word; mapping it to <pad> trains on a text that
  says something else.
hint: raise ValueError naming the words that are not in the vocabulary.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: tokenize


def _row_ids(words, index, text):
    return [index[CLS]] + [index.get(w, 0) for w in words]
