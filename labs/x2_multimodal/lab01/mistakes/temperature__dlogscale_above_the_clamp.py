"""MISTAKE: a nonzero d log_scale above the clamp

task: temperature
caught_by: test_scaled_cosine_logits_backward_matches_finite_differences
why: above log(100) the scale is the constant 100, so the loss does not change with log_scale:
  its gradient is 0.
hint: the clamp is flat: d log_scale is 0 above log(100).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def _d_log_scale(d_logits, cos, log_scale):
    return float((d_logits * cos).sum() * logit_scale(log_scale))
