"""MISTAKE: text features used without L2 normalisation

task: temperature
caught_by: test_scaled_cosine_logits_match_a_plain_loop
why: logits are scale * cosine: both towers' rows are L2-normalised so only direction counts.
hint: normalise the rows of both feature matrices.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def scaled_cosine_logits(image_features, text_features, log_scale):
    a = image_features / np.linalg.norm(image_features, axis=1, keepdims=True)
    b = text_features
    return logit_scale(log_scale) * (a @ b.T)
