"""MISTAKE: backward forgets the gradient through the mean

task: layernorm
caught_by: test_layernorm_backward
why: the mean depends on every input, so dx has a -mean(g) term; without it the gradient is
  wrong and finite differences disagree.
hint: dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps), with g = dy * gamma.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: layernorm


def layernorm_backward(dy, cache):
    xhat, inv, gamma = cache["xhat"], cache["inv"], cache["gamma"]
    lead = tuple(range(dy.ndim - 1))
    dgamma = (dy * xhat).sum(axis=lead)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma
    dx = inv * (g - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
