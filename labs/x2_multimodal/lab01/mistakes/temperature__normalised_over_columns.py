"""MISTAKE: L2 norm taken over the batch axis

task: temperature
caught_by: test_scaled_cosine_logits_match_a_plain_loop
why: each embedding (row) is normalised over its E features; axis 0 normalises each feature over
  the batch.
hint: np.linalg.norm(x, axis=1, keepdims=True): one norm per row.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def scaled_cosine_logits(image_features, text_features, log_scale):
    a = image_features / np.linalg.norm(image_features, axis=0, keepdims=True)
    b = text_features / np.linalg.norm(text_features, axis=0, keepdims=True)
    return logit_scale(log_scale) * (a @ b.T)
