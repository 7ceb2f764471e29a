"""MISTAKE: an extra key in the metrics dict

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: the contract's dict has exactly the R@k and median-rank keys; callers iterate over it and
  experiment reports compare keys.
hint: return exactly the keys the docstring lists.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def retrieval_metrics(image_emb, text_emb, text_of_image, ks=(1, 5, 10)):
    sims = _cosines(image_emb, text_emb)
    text_of_image = np.asarray(text_of_image)
    i2t = _image_to_text_ranks(sims, text_of_image)
    t2i = _text_to_image_ranks(sims, text_of_image)
    out = {**_recalls("i2t", i2t, ks), **_recalls("t2i", t2i, ks)}
    out["n_queries"] = float(len(sims))
    return out
