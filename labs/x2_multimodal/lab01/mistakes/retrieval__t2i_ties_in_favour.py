"""MISTAKE: text->image ties counted in the query's favour

task: retrieval
caught_by: test_retrieval_counts_ties_against_the_query
why: the tie rule holds in both directions; with > a collapsed model gets text->image R@1 = 1.
hint: text->image too: icons of other texts scoring at least as high as the best own icon rank
  ahead.
"""

from __future__ import annotations

import math

import numpy as np

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: retrieval


def retrieval_metrics(image_emb, text_emb, text_of_image, ks=(1, 5, 10)):
    a = image_emb / np.linalg.norm(image_emb, axis=1, keepdims=True)
    b = text_emb / np.linalg.norm(text_emb, axis=1, keepdims=True)
    sims = a @ b.T  # (N, M)
    text_of_image = np.asarray(text_of_image)
    own = sims[np.arange(len(sims)), text_of_image]
    i2t = (sims >= own[:, None]).sum(axis=1)
    t2i = []
    for m in np.unique(text_of_image):
        mine = text_of_image == m
        best = sims[mine, m].max()
        t2i.append(1 + int((sims[~mine, m] > best).sum()))
    out = {}
    for name, ranks in (("i2t", np.asarray(i2t)), ("t2i", np.asarray(t2i))):
        for k in ks:
            out[f"{name}_R@{k}"] = float((ranks <= k).mean())
        out[f"{name}_median_rank"] = float(np.median(ranks))
    return out
