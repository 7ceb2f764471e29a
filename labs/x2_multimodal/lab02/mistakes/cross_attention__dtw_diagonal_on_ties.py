"""MISTAKE: DTW prefers the diagonal when it ties

task: cross_attention
caught_by: test_dtw_path_follows_whispers_tie_rule_on_tied_costs
why: Whisper's rule takes the diagonal only if it is strictly cheaper than both others; <=
  changes the path wherever costs tie.
hint: strict comparisons: d < u and d < r.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: cross_attention


def _move(d, u, r):
    if d <= u and d <= r:
        return 0, d
    if u < d and u < r:
        return 1, u
    return 2, r
