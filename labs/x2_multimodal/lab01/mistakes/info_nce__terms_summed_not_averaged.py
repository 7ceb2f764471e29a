"""MISTAKE: the two cross-entropies summed, not averaged

task: info_nce
caught_by: test_info_nce_loss_matches_a_plain_loop
why: the contract's loss is (row term + column term) / 2; all-zero logits then give log B, not 2
  log B.
hint: average the two directions: divide by 2B.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def _loss_and_grad(rows, cols):
    b = rows.shape[0]
    loss = -(np.trace(rows) + np.trace(cols)) / b
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / (2 * b)
    return loss, grad
