"""MISTAKE: image->text ties counted in the query's favour

task: retrieval
caught_by: test_retrieval_counts_ties_against_the_query
why: ties count against the query: a collapsed model whose embeddings are all equal would
  otherwise score R@1 = 1.
hint: a candidate scoring equal to the right answer ranks ahead of it: count >=.
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
    i2t = 1 + (sims > own[:, None]).sum(axis=1)
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
