"""MISTAKE: non-square logits left to NumPy's broadcast error

task: info_nce
caught_by: test_info_nce_is_the_same_from_either_side_and_needs_a_square
why: NumPy fails later with 'operands could not be broadcast together', a ValueError that does
  not say the logits must be square; the contract's error names the problem.
hint: check logits.shape[0] == logits.shape[1] first and raise a ValueError saying they must be
  square.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def info_nce(logits):
    logits = np.asarray(logits)
    loss, grad = _loss_and_grad(_log_softmax_rows(logits), _log_softmax_rows(logits.T))
    return float(loss), grad.astype(logits.dtype)
