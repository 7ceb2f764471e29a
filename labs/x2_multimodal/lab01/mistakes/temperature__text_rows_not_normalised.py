"""MISTAKE: text features used without L2 normalisation

task: temperature
caught_by: test_scaled_cosine_logits_match_a_plain_loop
why: logits are scale * cosine: both towers' rows are L2-normalised so only direction counts.
hint: normalise the rows of both feature matrices.
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
    a = image_features / np.linalg.norm(image_features, axis=1, keepdims=True)
    b = text_features
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
