"""MISTAKE: softmax backward without the sum term

task: attention
caught_by: test_attention_backward[no-mask]
why: softmax's Jacobian couples every entry of a row: ds = p * (dp - sum(dp * p)); dropping the
  sum treats softmax as an elementwise exp.
hint: softmax's backward is p * (dp - sum(dp * p, over the row)).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


def _softmax_backward(p, dp):
    return p * dp
