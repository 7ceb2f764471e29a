"""MISTAKE: backward drops the gradient of the first residual

task: block
caught_by: test_block_backward
why: x reaches h both directly and through the attention branch; a residual passes its incoming
  gradient through unchanged *and* into the branch.
hint: dx = dh (the skip path) + the gradient through LN1 and attention.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: block


def block_backward(dy, cache):
    c1, c2, c3, c4, m_in, act, params = cache
    dm, grads = _mlp_half_backward(dy, c3, c4, m_in, act, params)
    dh = dy + dm
    dx, attn_grads = _attention_half_backward(dh, c1, c2)
    return dx, {**grads, **attn_grads}
