"""MISTAKE: exp(log_scale) without the clamp at 100

task: temperature
caught_by: test_logit_scale_starts_at_1_over_0_07_and_stops_at_100
why: CLIP clamps the scale at 100 so training cannot sharpen the softmax without bound; the
  contract says never more than 100.
hint: min(exp(log_scale), 100).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def logit_scale(log_scale):
    return float(math.exp(log_scale))
