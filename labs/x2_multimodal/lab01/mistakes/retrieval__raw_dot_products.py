"""MISTAKE: dot products instead of cosines

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: retrieval ranks by cosine similarity; unnormalised dot products favour long embeddings.
hint: L2-normalise both sets of rows first.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def _cosines(image_emb, text_emb):
    return image_emb @ text_emb.T  # (N, M)
