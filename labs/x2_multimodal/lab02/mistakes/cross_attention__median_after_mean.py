"""MISTAKE: heads averaged before the median filter

task: cross_attention
caught_by: test_alignment_matrix_matches_a_plain_loop
why: a median is not linear: the recipe filters each head, then averages the heads.
hint: median-filter each head, then average.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: cross_attention


def alignment_matrix(cross_attentions, heads, n_positions, medfilt_width=7):
    att = np.asarray(cross_attentions, dtype=np.float64)
    pairs = np.asarray(heads).reshape(-1, 2)
    w = np.stack([att[layer, head, :, :n_positions] for layer, head in pairs])  # (K, T, S)
    w = (w - w.mean(axis=1, keepdims=True)) / w.std(axis=1, keepdims=True)
    return median_filter(w.mean(axis=0), medfilt_width)
