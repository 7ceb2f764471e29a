"""MISTAKE: eps added after the square root

task: layernorm
caught_by: test_layernorm_forward
why: the contract adds eps to the variance before the square root; adding it to the standard
  deviation changes every output slightly.
hint: eps goes inside the square root: sqrt(var + eps).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    inv = 1.0 / (np.sqrt(var) + eps)
    xhat = xc * inv
    return xhat * gamma + beta, {"xhat": xhat, "inv": inv, "gamma": gamma}
