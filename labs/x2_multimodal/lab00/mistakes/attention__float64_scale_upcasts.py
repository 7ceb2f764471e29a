"""MISTAKE: a float64 scale turns float32 scores into float64

task: attention
caught_by: test_attention_float32_scores_in_the_hundreds
why: np.sqrt(dh) is a float64 scalar and, since NumPy 2, float32 / float64-scalar is float64:
  the whole attention silently runs in float64, twice the memory and time; the contract says
  float32 stays float32.
hint: keep the dtype: divide by a Python float (math.sqrt) or cast the scale to x.dtype.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


def _scores(q, k, dtype):
    return np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(q.shape[-1])  # (B, H, N, N)
