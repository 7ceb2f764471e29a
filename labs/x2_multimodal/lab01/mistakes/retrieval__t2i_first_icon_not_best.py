"""MISTAKE: text->image ranks the first icon, not the best

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: a text with several icons is retrieved as soon as any of them is found: its rank is that of
  its best icon.
hint: use the highest-scoring icon of the text.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def _text_rank(sims, mine, m):
    best = sims[mine, m][0]
    return 1 + int((sims[~mine, m] >= best).sum())
