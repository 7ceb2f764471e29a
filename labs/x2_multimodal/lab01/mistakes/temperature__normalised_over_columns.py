"""MISTAKE: L2 norm taken over the batch axis

task: temperature
caught_by: test_scaled_cosine_logits_match_a_plain_loop
why: each embedding (row) is normalised over its E features; axis 0 normalises each feature over
  the batch.
hint: np.linalg.norm(x, axis=1, keepdims=True): one norm per row.
"""

from __future__ import annotations

import math

import numpy as np

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: temperature


def logit_scale(log_scale):
    return float(min(math.exp(log_scale), 100.0))


def scaled_cosine_logits(image_features, text_features, log_scale):
    a = image_features / np.linalg.norm(image_features, axis=0, keepdims=True)
    b = text_features / np.linalg.norm(text_features, axis=0, keepdims=True)
    return logit_scale(log_scale) * (a @ b.T)


def scaled_cosine_logits_backward(image_features, text_features, log_scale, d_logits):
    na = np.linalg.norm(image_features, axis=1, keepdims=True)
    nb = np.linalg.norm(text_features, axis=1, keepdims=True)
    a, b = image_features / na, text_features / nb
    cos = a @ b.T
    s = logit_scale(log_scale)
    d_cos = s * d_logits
    da, db = d_cos @ b, d_cos.T @ a
    d_img = (da - a * (da * a).sum(axis=1, keepdims=True)) / na
    d_txt = (db - b * (db * b).sum(axis=1, keepdims=True)) / nb
    d_log_scale = float((d_logits * cos).sum() * s) if log_scale < MAX_LOG_SCALE else 0.0
    if math.isclose(log_scale, MAX_LOG_SCALE):
        d_log_scale = float((d_logits * cos).sum() * s)
    return d_img, d_txt, d_log_scale
