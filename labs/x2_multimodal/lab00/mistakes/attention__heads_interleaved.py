"""MISTAKE: heads taken from interleaved columns

task: attention
caught_by: test_attention_forward[no-mask]
why: the contract gives head h the contiguous columns h*dh:(h+1)*dh of Q, K and V; reshaping to
  (dh, H) takes every H-th column instead.
hint: reshape the last axis as (n_heads, dh), in that order.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


def _heads(x, params, n_heads):
    b, n, d = x.shape
    qkv = x @ params["wqkv"] + params["bqkv"]  # (B, N, 3D)
    dh = d // n_heads
    return tuple(
        qkv[..., i * d : (i + 1) * d].reshape(b, n, dh, n_heads).swapaxes(2, 3) for i in range(3)
    )
