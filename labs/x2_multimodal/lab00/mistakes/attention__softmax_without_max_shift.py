"""MISTAKE: softmax without subtracting the row max

task: attention
caught_by: test_attention_float32_scores_in_the_hundreds
why: exp of float32 scores above ~88 is inf and inf/inf is NaN; the contract requires float32 at
  training scale, where scores reach the hundreds.
hint: subtract each row's max score before exp: softmax is unchanged and exp never overflows.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


def _softmax(s):
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)
