"""MISTAKE: text->image over every text, icons or not

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: texts without icons are distractors only; their best icon does not exist (np.max of an
  empty array raises).
hint: iterate over the texts that have at least one icon.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def _text_to_image_ranks(sims, text_of_image):
    return np.array([_text_rank(sims, text_of_image == m, m) for m in range(sims.shape[1])])
