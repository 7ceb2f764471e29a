"""MISTAKE: channel-first order inside a patch

task: patchify
caught_by: test_patchify_vit_base_geometry
why: the numbers of a patch are ordered channel, row, column; the contract orders them row, then
  column, then channel (what a linear embedding trained on HWC images expects).
hint: inside a patch the order is row, then column, then channel: the einsum output ends with
  ...pqc.
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
    x = np.einsum("bipjqc->bijcpq", x)
    out = x.reshape(b, gh * gw, patch * patch * c)
    return out[0] if single else out
