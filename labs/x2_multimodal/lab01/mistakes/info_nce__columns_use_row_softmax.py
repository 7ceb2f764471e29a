"""MISTAKE: the text->image term reuses the row softmax

task: info_nce
caught_by: test_info_nce_loss_matches_a_plain_loop
why: the text->image term normalises each column over the images; reusing the row softmax counts
  the image->text term twice.
hint: the second term is a log-softmax over axis 0 (columns).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def info_nce(logits):
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"info_nce needs square logits, got shape {logits.shape}")
    rows = _log_softmax_rows(logits)
    loss, grad = _loss_and_grad(rows, rows.T)
    return float(loss), grad.astype(logits.dtype)
