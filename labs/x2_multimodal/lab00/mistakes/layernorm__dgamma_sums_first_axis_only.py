"""MISTAKE: dgamma summed over the first axis only

task: layernorm
caught_by: test_layernorm_backward
why: for (B, N, D) inputs gamma is shared by every leading position; summing over axis 0 alone
  leaves (N, D), not (D,).
hint: sum over every leading axis: all but the last.
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
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma
    dx = inv * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
