"""MISTAKE: unbiased variance (divide by D - 1)

task: layernorm
caught_by: test_layernorm_forward
why: LayerNorm uses the biased variance (divide by D), as the docstring says; D - 1 is the
  sample variance of statistics courses (torch.var's default, not LayerNorm's).
hint: the variance divides by D, not D - 1.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).sum(axis=-1, keepdims=True) / (x.shape[-1] - 1)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    return xhat * gamma + beta, {"xhat": xhat, "inv": inv, "gamma": gamma}
