"""MISTAKE: patches in column-major order

task: patchify
caught_by: test_patchify_vit_base_geometry
why: patches are listed top to bottom, then left to right; the contract's raster order is left
  to right, then top to bottom, so position embeddings land on the wrong patches.
hint: raster order: the patch-row index i comes before the patch-column index j.
"""

from __future__ import annotations

import numpy as np

# === task: patchify


def patchify(images, patch):
    single = images.ndim == 3
    x = images[None] if single else images
    b, h, w, c = x.shape
    gh, gw = h // patch, w // patch
    x = x.reshape(b, gh, patch, gw, patch, c)
    x = np.einsum("bipjqc->bjipqc", x)
    out = x.reshape(b, gh * gw, patch * patch * c)
    return out[0] if single else out
