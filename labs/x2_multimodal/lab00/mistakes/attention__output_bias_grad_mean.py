"""MISTAKE: output-bias gradient averaged instead of summed

task: attention
caught_by: test_attention_backward[no-mask]
why: the bias is added at every (batch, token) position, so its gradient sums over all of them;
  a mean divides it by B*N.
hint: a bias used at B*N positions gets the sum of their gradients.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


def _output_grads(ctx, dy):
    d = dy.shape[-1]
    return {"wo": ctx.reshape(-1, d).T @ dy.reshape(-1, d), "bo": dy.reshape(-1, d).mean(axis=0)}
