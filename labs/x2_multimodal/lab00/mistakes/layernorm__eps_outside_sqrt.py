"""MISTAKE: eps added after the square root

task: layernorm
caught_by: test_layernorm_forward
why: the contract adds eps to the variance before the square root; adding it to the standard
  deviation changes every output slightly.
hint: eps goes inside the square root: sqrt(var + eps).
"""

from __future__ import annotations

import numpy as np

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    inv = 1.0 / (np.sqrt(var) + eps)
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
