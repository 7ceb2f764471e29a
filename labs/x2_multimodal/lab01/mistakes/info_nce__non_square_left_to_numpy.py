"""MISTAKE: non-square logits left to NumPy's broadcast error

task: info_nce
caught_by: test_info_nce_is_the_same_from_either_side_and_needs_a_square
why: NumPy fails later with 'operands could not be broadcast together', a ValueError that does
  not say the logits must be square; the contract's error names the problem.
hint: check logits.shape[0] == logits.shape[1] first and raise a ValueError saying they must be
  square.
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
    b = logits.shape[0]
    rows = _log_softmax_rows(logits)
    cols = _log_softmax_rows(logits.T)
    loss = -(np.trace(rows) + np.trace(cols)) / (2 * b)
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / (2 * b)
    return float(loss), grad.astype(logits.dtype)
