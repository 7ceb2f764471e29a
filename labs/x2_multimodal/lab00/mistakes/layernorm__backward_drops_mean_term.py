"""MISTAKE: backward forgets the gradient through the mean

task: layernorm
caught_by: test_layernorm_backward
why: the mean depends on every input, so dx has a -mean(g) term; without it the gradient is
  wrong and finite differences disagree.
hint: dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps), with g = dy * gamma.
"""

from __future__ import annotations

import numpy as np

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    return xhat * gamma + beta, {"xhat": xhat, "inv": inv, "gamma": gamma}


def layernorm_backward(dy, cache):
    xhat, inv, gamma = cache["xhat"], cache["inv"], cache["gamma"]
    lead = tuple(range(dy.ndim - 1))
    dgamma = (dy * xhat).sum(axis=lead)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma
    dx = inv * (g - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
