"""MISTAKE: the clamp compares the scale with log(100)

task: temperature
caught_by: test_logit_scale_starts_at_1_over_0_07_and_stops_at_100
why: the scale is clamped at 100 (the log at log 100); clamping the scale at 4.6 caps every
  logit near 4.6.
hint: clamp the scale at 100, or equivalently the log-scale at log(100), not a mix.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def logit_scale(log_scale):
    return float(min(math.exp(log_scale), math.log(100.0)))
