"""MISTAKE: log-softmax without the max shift

task: info_nce
caught_by: test_info_nce_loss_matches_a_plain_loop
why: exp of float32 logits near 100 is inf (float32 ends near exp(88.7)); training runs in
  float32 with a scale up to 100.
hint: subtract each row's max before exp in the log-sum-exp.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: info_nce


def _log_softmax_rows(z):
    top = 0.0
    return z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))
