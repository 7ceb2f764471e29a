"""MISTAKE: gradient of the sum, not of the mean of the two terms

task: info_nce
caught_by: test_info_nce_gradient_matches_finite_differences
why: the loss halves the sum of the two terms, so its gradient is halved too; the step size
  would silently double.
hint: d loss / d logits = (softmax_rows + softmax_cols - 2 I) / (2B).
"""

from __future__ import annotations

import math

import numpy as np

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: info_nce


def _log_softmax_rows(z):
    top = z.max(axis=1, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))


def info_nce(logits):
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"info_nce needs square logits, got shape {logits.shape}")
    b = logits.shape[0]
    rows = _log_softmax_rows(logits)
    cols = _log_softmax_rows(logits.T)
    loss = -(np.trace(rows) + np.trace(cols)) / (2 * b)
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / b
    return float(loss), grad.astype(logits.dtype)
