"""MISTAKE: dot products instead of cosines

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: retrieval ranks by cosine similarity; unnormalised dot products favour long embeddings.
hint: L2-normalise both sets of rows first.
"""

from __future__ import annotations

import math

import numpy as np

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: retrieval


def retrieval_metrics(image_emb, text_emb, text_of_image, ks=(1, 5, 10)):
    sims = image_emb @ text_emb.T  # (N, M)
    text_of_image = np.asarray(text_of_image)
    own = sims[np.arange(len(sims)), text_of_image]
    i2t = (sims >= own[:, None]).sum(axis=1)
    t2i = []
    for m in np.unique(text_of_image):
        mine = text_of_image == m
        best = sims[mine, m].max()
        t2i.append(1 + int((sims[~mine, m] >= best).sum()))
    out = {}
    for name, ranks in (("i2t", np.asarray(i2t)), ("t2i", np.asarray(t2i))):
        for k in ks:
            out[f"{name}_R@{k}"] = float((ranks <= k).mean())
        out[f"{name}_median_rank"] = float(np.median(ranks))
    return out
