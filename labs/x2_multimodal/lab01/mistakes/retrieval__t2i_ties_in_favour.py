"""MISTAKE: text->image ties counted in the query's favour

task: retrieval
caught_by: test_retrieval_counts_ties_against_the_query
why: the tie rule holds in both directions; with > a collapsed model gets text->image R@1 = 1.
hint: text->image too: icons of other texts scoring at least as high as the best own icon rank
  ahead.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def _text_rank(sims, mine, m):
    best = sims[mine, m].max()
    return 1 + int((sims[~mine, m] > best).sum())
