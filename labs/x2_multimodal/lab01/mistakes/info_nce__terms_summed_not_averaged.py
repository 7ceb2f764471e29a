"""MISTAKE: the two cross-entropies summed, not averaged

task: info_nce
caught_by: test_info_nce_loss_matches_a_plain_loop
why: the contract's loss is (row term + column term) / 2; all-zero logits then give log B, not 2
  log B.
hint: average the two directions: divide by 2B.
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
    loss = -(np.trace(rows) + np.trace(cols)) / b
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / (2 * b)
    return float(loss), grad.astype(logits.dtype)
