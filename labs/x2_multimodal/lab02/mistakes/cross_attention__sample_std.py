"""MISTAKE: sample standard deviation (ddof=1)

task: cross_attention
caught_by: test_alignment_matrix_matches_a_plain_loop
why: the contract's z-score uses the population std over T, like the reference implementations.
hint: np.std with its default ddof=0.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: cross_attention


def alignment_matrix(cross_attentions, heads, n_positions, medfilt_width=7):
    att = np.asarray(cross_attentions, dtype=np.float64)
    pairs = np.asarray(heads).reshape(-1, 2)
    w = np.stack([att[layer, head, :, :n_positions] for layer, head in pairs])  # (K, T, S)
    w = (w - w.mean(axis=1, keepdims=True)) / w.std(axis=1, ddof=1, keepdims=True)
    return median_filter(w, medfilt_width).mean(axis=0)
