"""MISTAKE: variance as E[x^2] - E[x]^2

task: layernorm
caught_by: test_layernorm_float32_far_from_zero
why: in float32, E[x^2] and E[x]^2 are both ~1e6 for activations near 1000 and their difference
  loses every digit (it can even go negative); the contract requires float32 to work.
hint: compute the variance from centred values: mean((x - mean)^2).
"""

from __future__ import annotations

import numpy as np

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (x * x).mean(axis=-1, keepdims=True) - mu * mu
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    return xhat * gamma + beta, {"xhat": xhat, "inv": inv, "gamma": gamma}


def layernorm_backward(dy, cache):
    xhat, inv, gamma = cache["xhat"], cache["inv"], cache["gamma"]
    lead = tuple(range(dy.ndim - 1))
    dgamma = (dy * xhat).sum(axis=lead)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma
    dx = inv * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
