"""MISTAKE: z-score over time instead of over tokens

task: cross_attention
caught_by: test_alignment_matrix_matches_a_plain_loop
why: each head is normalised over the token axis at each position (which token does this 20 ms
  belong to?), as in Whisper's timing.py.
hint: mean and std over T (axis -2 of (K, T, S)), per position.
"""

from __future__ import annotations

import numpy as np

# === task: cross_attention


def median_filter(x, width):
    if width <= 1:
        return x
    pad = width // 2
    if x.shape[-1] <= pad:
        return x
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.median(windows, axis=-1)


def alignment_matrix(cross_attentions, heads, n_positions, medfilt_width=7):
    att = np.asarray(cross_attentions, dtype=np.float64)
    pairs = np.asarray(heads).reshape(-1, 2)
    w = np.stack([att[layer, head, :, :n_positions] for layer, head in pairs])  # (K, T, S)
    w = (w - w.mean(axis=2, keepdims=True)) / w.std(axis=2, keepdims=True)
    return median_filter(w, medfilt_width).mean(axis=0)
