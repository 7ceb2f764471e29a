"""MISTAKE: d log_scale computed as d scale

task: temperature
caught_by: test_scaled_cosine_logits_backward_matches_finite_differences
why: the parameter is log_scale and scale = exp(log_scale), so the chain rule adds a factor d
  scale / d log_scale = scale.
hint: d log_scale = sum(d_logits * cosines) * scale.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def _d_log_scale(d_logits, cos, log_scale):
    d_log_scale = float((d_logits * cos).sum()) if log_scale < MAX_LOG_SCALE else 0.0
    if math.isclose(log_scale, MAX_LOG_SCALE):
        d_log_scale = float((d_logits * cos).sum() * logit_scale(log_scale))
    return d_log_scale
