"""MISTAKE: only the image->text cross-entropy

task: info_nce
caught_by: test_info_nce_loss_matches_a_plain_loop
why: CLIP's loss is symmetric: the mean of the image->text (rows) and text->image (columns)
  cross-entropies.
hint: add the column-wise cross-entropy and halve the sum.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def _loss_and_grad(rows, cols):
    b = rows.shape[0]
    loss = -np.trace(rows) / b
    grad = (np.exp(rows) - np.eye(b)) / b
    return loss, grad
