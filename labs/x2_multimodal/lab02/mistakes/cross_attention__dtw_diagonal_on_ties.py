"""MISTAKE: DTW prefers the diagonal when it ties

task: cross_attention
caught_by: test_dtw_path_follows_whispers_tie_rule_on_tied_costs
why: Whisper's rule takes the diagonal only if it is strictly cheaper than both others; <=
  changes the path wherever costs tie.
hint: strict comparisons: d < u and d < r.
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


def dtw_path(cost):
    cost = np.asarray(cost, dtype=np.float64)
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 diagonal, 1 down, 2 right
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            d, u, r = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
            if d <= u and d <= r:
                move[i, j], prev = 0, d
            elif u < d and u < r:
                move[i, j], prev = 1, u
            else:
                move[i, j], prev = 2, r
            acc[i, j] = cost[i - 1, j - 1] + prev
    rows, cols = [], []
    i, j = n, m
    while i > 0 or j > 0:
        rows.append(i - 1)
        cols.append(j - 1)
        step = 2 if i == 0 else 1 if j == 0 else move[i, j]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return np.array(rows[::-1], dtype=np.int64), np.array(cols[::-1], dtype=np.int64)
