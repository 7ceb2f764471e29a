"""MISTAKE: image->text ties counted in the query's favour

task: retrieval
caught_by: test_retrieval_counts_ties_against_the_query
why: ties count against the query: a collapsed model whose embeddings are all equal would
  otherwise score R@1 = 1.
hint: a candidate scoring equal to the right answer ranks ahead of it: count >=.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def _image_to_text_ranks(sims, text_of_image):
    own = sims[np.arange(len(sims)), text_of_image]
    return 1 + (sims > own[:, None]).sum(axis=1)
