"""MISTAKE: DTW returns (time, token) instead of (token, time)

task: cross_attention
caught_by: test_dtw_path_is_monotone_and_cheapest
why: the contract returns (token_indices, time_indices), the axes of cost (T, S).
hint: first the token (row) indices, then the time (column) indices.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: cross_attention


def dtw_path(cost):
    rows, cols = _backtrack(_moves(np.asarray(cost, dtype=np.float64)))
    return cols, rows
