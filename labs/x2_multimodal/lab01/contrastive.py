"""The CLIP objective in NumPy: L2 normalisation, a clamped learnable temperature and the
symmetric InfoNCE loss, each forward next to its backward.

Radford et al., "Learning Transferable Visual Models From Natural Language Supervision"
(CLIP, 2021), section 2.3 and figure 3; the loss is van den Oord et al.'s InfoNCE (2018)
applied in both directions.

Shapes: B pairs in a batch, E the shared embedding width.
"""

from __future__ import annotations

import math

import numpy as np

from labs.x2_multimodal.lab01.given import INIT_LOG_SCALE, MAX_LOG_SCALE  # noqa: F401


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `x` (B, E) scaled to unit length; returns (unit rows (B, E), norms (B, 1))."""
    norms = np.sqrt(np.sum(x * x, axis=-1, keepdims=True) + eps)  # (B, 1)
    return x / norms, norms


def l2_normalize_backward(unit: np.ndarray, norms: np.ndarray, d_unit: np.ndarray) -> np.ndarray:
    """Gradient through u = x / |x|: only the part of d_unit orthogonal to u survives."""
    radial = np.sum(d_unit * unit, axis=-1, keepdims=True)  # (B, 1)
    return (d_unit - unit * radial) / norms


def logit_scale(log_scale: float) -> float:
    """exp(log_scale), never above 100.

    CLIP learns the log of the inverse temperature and clamps it after every step so the
    logits cannot grow without bound; clamping here too keeps the forward pass honest even if
    a trainer forgets the in-place clamp.
    """
    return math.exp(min(float(log_scale), MAX_LOG_SCALE))


def logit_scale_grad(log_scale: float) -> float:
    """d logit_scale / d log_scale: the scale itself below the clamp, 0 above it.

    At exactly log(100), where CLIP's in-place clamp parks the parameter, we take the
    derivative from below (as torch's clamp does), so a gradient that asks for a *smaller*
    scale can still move the parameter back down.
    """
    return logit_scale(log_scale) if log_scale <= MAX_LOG_SCALE else 0.0


def clip_logits(
    image_features: np.ndarray, text_features: np.ndarray, log_scale: float
) -> tuple[np.ndarray, dict]:
    """Cosine similarities times the logit scale.

    image_features (B, E) and text_features (M, E), unnormalised projections; returns the
    logits (B, M) with logits[i, j] = scale * cos(image i, text j), and a cache for backward.
    """
    img, img_norms = l2_normalize(image_features)  # (B, E)
    txt, txt_norms = l2_normalize(text_features)  # (M, E)
    cosine = img @ txt.T  # (B, M)
    scale = logit_scale(log_scale)
    cache = {
        "img": img,
        "img_norms": img_norms,
        "txt": txt,
        "txt_norms": txt_norms,
        "cosine": cosine,
        "scale": scale,
        "log_scale": float(log_scale),
    }
    return scale * cosine, cache


def clip_logits_backward(d_logits: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """Gradients of the loss w.r.t. image_features (B, E), text_features (M, E), log_scale."""
    d_cosine = cache["scale"] * d_logits  # (B, M)
    d_img = d_cosine @ cache["txt"]  # (B, E)
    d_txt = d_cosine.T @ cache["img"]  # (M, E)
    d_scale = float(np.sum(d_logits * cache["cosine"]))
    d_log_scale = d_scale * logit_scale_grad(cache["log_scale"])
    return (
        l2_normalize_backward(cache["img"], cache["img_norms"], d_img),
        l2_normalize_backward(cache["txt"], cache["txt_norms"], d_txt),
        d_log_scale,
    )


def _log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def info_nce(logits: np.ndarray) -> tuple[float, np.ndarray]:
    """Symmetric InfoNCE over a square batch of logits (B, B) whose diagonal holds the pairs.

    loss = (cross-entropy of each image over the B texts
            + cross-entropy of each text over the B images) / 2,
    both averaged over the batch. Returns (loss, d loss / d logits (B, B)).

    The batch must not hold the same text twice: a duplicate would be scored as a negative
    of its own image. The samplers in `train.py` guarantee that (see `distinct_text_batch`).
    """
    b, m = logits.shape
    if b != m:
        raise ValueError(f"info_nce needs square logits (B, B), got {logits.shape}")
    image_to_text = _log_softmax(logits, axis=1)  # each row: one image against all texts
    text_to_image = _log_softmax(logits, axis=0)  # each column: one text against all images
    diag = np.arange(b)
    loss = -0.5 * (image_to_text[diag, diag].mean() + text_to_image[diag, diag].mean())
    # d CE / d z = softmax - one-hot, in each direction; the 1/2 and 1/B come from the means.
    eye = np.eye(b, dtype=logits.dtype)
    d_logits = (np.exp(image_to_text) - eye + np.exp(text_to_image) - eye) / (2 * b)
    return float(loss), d_logits
