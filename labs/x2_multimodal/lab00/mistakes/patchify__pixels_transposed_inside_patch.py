"""MISTAKE: column before row inside a patch

task: patchify
caught_by: test_patchify_vit_base_geometry
why: inside a patch the pixels are read column by column; the contract reads them row by row.
hint: inside a patch: row (p), then column (q), then channel (c).
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
    x = np.einsum("bipjqc->bijqpc", x)
    out = x.reshape(b, gh * gw, patch * patch * c)
    return out[0] if single else out
