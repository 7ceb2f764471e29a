"""MISTAKE: backward divides by the norm but skips the projection

task: temperature
caught_by: test_scaled_cosine_logits_backward_matches_finite_differences
why: through u = x / |x| only the part of the gradient orthogonal to u survives: dx = (du - u
  <du, u>) / |x|.
hint: subtract the component along u before dividing by |x|.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: temperature


def scaled_cosine_logits_backward(image_features, text_features, log_scale, d_logits):
    na = np.linalg.norm(image_features, axis=1, keepdims=True)
    nb = np.linalg.norm(text_features, axis=1, keepdims=True)
    a, b = image_features / na, text_features / nb
    d_cos = logit_scale(log_scale) * d_logits
    da, db = d_cos @ b, d_cos.T @ a
    d_img = da / na
    d_txt = (db - b * (db * b).sum(axis=1, keepdims=True)) / nb
    return d_img, d_txt, _d_log_scale(d_logits, a @ b.T, log_scale)
