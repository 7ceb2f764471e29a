"""MISTAKE: special tokens appended after the words

task: tokenize
caught_by: test_vocab_is_specials_then_the_sorted_words_of_the_universe
why: '<pad>' must be id 0 and '<cls>' id 1: the model's padding mask and pooling read those ids.
hint: the vocabulary starts ["<pad>", "<cls>", ...].
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: tokenize


def build_vocab(texts):
    words = sorted({w for t in texts for w in t.split()})
    return [*words, PAD, CLS]
