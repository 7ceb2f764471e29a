"""MISTAKE: dgamma summed over the first axis only

task: layernorm
caught_by: test_layernorm_backward
why: for (B, N, D) inputs gamma is shared by every leading position; summing over axis 0 alone
  leaves (N, D), not (D,).
hint: sum over every leading axis: all but the last.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: layernorm


def layernorm_backward(dy, cache):
    xhat, inv, gamma = cache["xhat"], cache["inv"], cache["gamma"]
    lead = tuple(range(dy.ndim - 1))
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma
    dx = inv * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
