"""MISTAKE: variance as E[x^2] - E[x]^2

task: layernorm
caught_by: test_layernorm_float32_far_from_zero
why: in float32, E[x^2] and E[x]^2 are both ~1e6 for activations near 1000 and their difference
  loses every digit (it can even go negative); the contract requires float32 to work.
hint: compute the variance from centred values: mean((x - mean)^2).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (x * x).mean(axis=-1, keepdims=True) - mu * mu
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    return xhat * gamma + beta, {"xhat": xhat, "inv": inv, "gamma": gamma}
