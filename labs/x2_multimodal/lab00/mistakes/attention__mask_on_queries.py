"""MISTAKE: the mask applied to queries instead of keys

task: attention
caught_by: test_attention_forward[key-mask]
why: key_mask says which tokens may be attended *to*: it masks the key axis (last) of the (B, H,
  Nq, Nk) scores, not the query axis.
hint: broadcast the (B, N) mask over the key axis: key_mask[:, None, None, :].
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


def _mask_keys(scores, key_mask):
    if key_mask is None:
        return scores
    return np.where(key_mask[:, None, :, None], scores, -np.inf)
