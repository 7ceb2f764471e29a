"""MISTAKE: only the image->text cross-entropy

task: info_nce
caught_by: test_info_nce_loss_matches_a_plain_loop
why: CLIP's loss is symmetric: the mean of the image->text (rows) and text->image (columns)
  cross-entropies.
hint: add the column-wise cross-entropy and halve the sum.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)
# ruff: noqa: F841  (the unused column term is the mistake)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def info_nce(logits):
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"info_nce needs square logits, got shape {logits.shape}")
    b = logits.shape[0]
    rows = _log_softmax_rows(logits)
    cols = _log_softmax_rows(logits.T)
    loss = -np.trace(rows) / b
    grad = (np.exp(rows) - np.eye(b)) / b
    return float(loss), grad.astype(logits.dtype)
