"""MISTAKE: gradient of the sum, not of the mean of the two terms

task: info_nce
caught_by: test_info_nce_gradient_matches_finite_differences
why: the loss halves the sum of the two terms, so its gradient is halved too; the step size
  would silently double.
hint: d loss / d logits = (softmax_rows + softmax_cols - 2 I) / (2B).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def _loss_and_grad(rows, cols):
    b = rows.shape[0]
    loss = -(np.trace(rows) + np.trace(cols)) / (2 * b)
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / b
    return loss, grad
