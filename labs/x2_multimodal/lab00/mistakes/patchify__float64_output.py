"""MISTAKE: a float64 output for float32 images

task: patchify
caught_by: test_patchify_batched_and_non_square
why: np.zeros allocates float64, so a float32 training batch comes back float64 and doubles the
  cost of every later layer; the contract says every function works in float32.
hint: let the output keep the input's dtype (no np.zeros without dtype=).
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
    x = np.einsum("bipjqc->bijpqc", x)
    out = np.zeros((b, gh * gw, patch * patch * c))
    out[:] = x.reshape(b, gh * gw, patch * patch * c)
    return out[0] if single else out
