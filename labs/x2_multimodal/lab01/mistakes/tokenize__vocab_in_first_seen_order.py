"""MISTAKE: vocabulary words in first-seen order, not sorted

task: tokenize
caught_by: test_vocab_is_specials_then_the_sorted_words_of_the_universe
why: the contract sorts the words so that the same universe always gives the same ids, whatever
  order the texts come in; a saved model's embedding rows depend on it.
hint: sort the distinct words after the two special tokens.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: tokenize


def build_vocab(texts):
    words = list(dict.fromkeys(w for t in texts for w in t.split()))
    return [PAD, CLS, *words]
