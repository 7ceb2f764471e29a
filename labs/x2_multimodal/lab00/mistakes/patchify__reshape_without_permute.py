"""MISTAKE: one reshape and no permutation

task: patchify
caught_by: test_patchify_vit_base_geometry
why: reshaping (B, H/P, P, W/P, P, C) straight to (B, N, P*P*C) mixes rows of different patches;
  the axes must be permuted so each patch's pixels are contiguous.
hint: after the first reshape, bring the two patch-grid axes next to each other before
  flattening.
"""

from __future__ import annotations

# === task: patchify


def patchify(images, patch):
    single = images.ndim == 3
    x = images[None] if single else images
    b, h, w, c = x.shape
    gh, gw = h // patch, w // patch
    x = x.reshape(b, gh, patch, gw, patch, c)
    out = x.reshape(b, gh * gw, patch * patch * c)
    return out[0] if single else out
