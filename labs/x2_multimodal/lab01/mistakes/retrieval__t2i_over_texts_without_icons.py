"""MISTAKE: text->image over every text, icons or not

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: texts without icons are distractors only; their best icon does not exist (np.max of an
  empty array raises).
hint: iterate over the texts that have at least one icon.
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
    for m in range(len(text_emb)):
        mine = text_of_image == m
        best = sims[mine, m].max()
        t2i.append(1 + int((sims[~mine, m] >= best).sum()))
    out = {}
    for name, ranks in (("i2t", np.asarray(i2t)), ("t2i", np.asarray(t2i))):
        for k in ks:
            out[f"{name}_R@{k}"] = float((ranks <= k).mean())
        out[f"{name}_median_rank"] = float(np.median(ranks))
    return out
