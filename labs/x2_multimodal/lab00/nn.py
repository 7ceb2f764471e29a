"""Transformer building blocks in NumPy, each forward next to its hand-written backward.

Part of lab 00's reference solution: hidden from learner code while it is graded (see
chapter.yaml `solution:`); the ops given to the learner live in given.py.

Every op is a pair of plain functions: `<op>_forward(...) -> (out, cache)` and
`<op>_backward(d_out, cache) -> grads`. Nothing is stored between calls, so the same
parameters can be run on many inputs at once and a check can call any op in isolation.
Works in any float dtype: the ViT trains in float32, the gradient checks run in float64
(no Python-float constant ever promotes a float32 array).

GELU is the tanh approximation (Hendrycks & Gimpel 2016, eq. 2), the one GPT-2 and
`torch.nn.GELU(approximate="tanh")` use: cheaper than erf and within 1e-3 of it.

The block is pre-LN (Xiong et al. 2020), as in ViT (Dosovitskiy et al. 2021, eq. 2-3):

    h = x + MHSA(LN1(x))
    y = h + MLP(LN2(h)),   MLP(z) = GELU(z W1 + b1) W2 + b2

Usage (this is what lab 01's text encoder does)::

    from labs.x2_multimodal.lab00 import nn

    rng = np.random.default_rng(0)
    params = nn.init_block_params(rng, dim=64, mlp_ratio=4)   # dict of float32 arrays
    x = token_embeddings                                        # (B, N, D)
    key_mask = token_ids != PAD                                 # (B, N) bool, True = attend
    y, cache = nn.block_forward(x, params, n_heads=4, key_mask=key_mask)   # y (B, N, D)
    dx, grads = nn.block_backward(dy, cache)                    # grads has params' keys

Block parameter keys (W is (fan_in, fan_out); y = x @ W + b)::

    ln1_g, ln1_b (D,)   attn_wqkv (D, 3D)  attn_bqkv (3D,)  attn_wo (D, D)  attn_bo (D,)
    ln2_g, ln2_b (D,)   mlp_w1 (D, F)      mlp_b1 (F,)      mlp_w2 (F, D)   mlp_b2 (D,)

Attention is bidirectional; `key_mask` (B, N) hides padded keys from every query (a padded
query still produces an output row, which the caller ignores or pools away).
"""

from __future__ import annotations

import math

import numpy as np

# Given to the learner (not tasks); re-exported so `nn.gelu_forward` keeps working.
from labs.x2_multimodal.lab00.given import (  # noqa: F401
    GELU_C,
    GELU_K,
    gelu_backward,
    gelu_forward,
    softmax_cross_entropy,
)

BLOCK_PARAM_KEYS = (
    "ln1_g", "ln1_b", "attn_wqkv", "attn_bqkv", "attn_wo", "attn_bo",
    "ln2_g", "ln2_b", "mlp_w1", "mlp_b1", "mlp_w2", "mlp_b2",
)  # fmt: skip

# A masked score becomes this before the softmax: exp() of it underflows to exactly 0 in
# float32 and float64 alike, and unlike -inf it cannot produce NaN when a row is all masked.
MASKED_SCORE = -1e9


# --------------------------------------------------------------------------- patches


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """Cut images into non-overlapping patch x patch squares, each flattened row-major.

    images (H, W, C) -> (N, P*P*C), or (B, H, W, C) -> (B, N, P*P*C), with N = (H/P)(W/P)
    patches in raster order and each patch flattened as (row in patch, column, channel):
    the layout of ViT's "flattened 2D patches" (eq. 1).
    """
    single = images.ndim == 3
    x = images[None] if single else images
    B, H, W, C = x.shape
    if H % patch or W % patch:
        raise ValueError(f"image size {H}x{W} is not divisible by patch {patch}")
    gh, gw = H // patch, W // patch
    grid = x.reshape(B, gh, patch, gw, patch, C)
    # b=batch, i/j=patch row/column, p/q=pixel row/column inside the patch, c=channel
    tiles = np.einsum("bipjqc->bijpqc", grid)  # (B, gh, gw, P, P, C), a view
    out = tiles.reshape(B, gh * gw, patch * patch * C)  # (B, N, P*P*C), the copy
    return out[0] if single else out


def unpatchify(patches: np.ndarray, patch: int, height: int, width: int) -> np.ndarray:
    """Inverse of `patchify`: (B, N, P*P*C) -> (B, H, W, C) (or unbatched)."""
    single = patches.ndim == 2
    x = patches[None] if single else patches
    B, N, F = x.shape
    gh, gw, C = height // patch, width // patch, F // (patch * patch)
    tiles = x.reshape(B, gh, gw, patch, patch, C)
    out = np.einsum("bijpqc->bipjqc", tiles).reshape(B, height, width, C)
    return out[0] if single else out


# --------------------------------------------------------------------------- linear


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """y = x @ w + b for x (..., Din), w (Din, Dout), b (Dout,) -> (..., Dout)."""
    # Flatten to one 2-D GEMM: NumPy's matmul broadcasts a 2-D w over a 3-D x with a slow
    # non-BLAS loop (~20x slower at these sizes).
    y = x.reshape(-1, x.shape[-1]) @ w
    y += b
    return y.reshape(*x.shape[:-1], w.shape[1]), (x, w)


def linear_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (dx (..., Din), dw (Din, Dout), db (Dout,))."""
    x, w = cache
    x2 = x.reshape(-1, x.shape[-1])  # one (M, Din)^T (M, Dout) GEMM, not a batched loop
    dy2 = dy.reshape(-1, dy.shape[-1])
    dx = (dy2 @ w.T).reshape(x.shape)
    return dx, x2.T @ dy2, dy2.sum(axis=0)


# --------------------------------------------------------------------------- layernorm


def layernorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, tuple]:
    """Normalise the last axis to zero mean, unit (biased) variance, then scale and shift."""
    D = x.shape[-1]
    # row means as einsum contractions: NumPy's .mean(axis=-1) over a short last axis is
    # several times slower than a dot product with the same result
    mu = np.einsum("...i->...", x)[..., None] * (1.0 / D)  # (..., 1)
    xc = x - mu
    var = np.einsum("...i,...i->...", xc, xc)[..., None] * (1.0 / D)
    rstd = 1.0 / np.sqrt(var + eps)  # (..., 1)
    xhat = xc
    xhat *= rstd  # (..., D), reusing xc's memory
    y = xhat * gamma
    y += beta
    return y, (xhat, rstd, gamma)


def layernorm_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (dx, dgamma, dbeta).

    With g = dy * gamma, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)): the two means
    remove the components along the directions the normalisation projected out.
    """
    xhat, rstd, gamma = cache
    D = xhat.shape[-1]
    g = dy * gamma
    g_mean = np.einsum("...i->...", g)[..., None] * (1.0 / D)
    gx_mean = np.einsum("...i,...i->...", g, xhat)[..., None] * (1.0 / D)
    g -= g_mean
    g -= xhat * gx_mean
    g *= rstd
    dy2, xhat2 = dy.reshape(-1, D), xhat.reshape(-1, D)
    dgamma = np.einsum("ni,ni->i", dy2, xhat2)
    dbeta = dy2.sum(axis=0)
    return g, dgamma, dbeta


# --------------------------------------------------------------------------- softmax


def softmax_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax over the last axis; the cache is the output itself.

    Softmax is shift-invariant, so the usual per-row max is only needed to keep exp() from
    overflowing. One global max (a far cheaper reduction) tells whether any exp() could
    overflow; if none can and no row underflows to a zero sum, the unshifted result is
    exact. Otherwise fall back to the per-row shift.
    """
    if float(x.max()) < 80.0:  # exp(80) < float32 max ~ exp(88.7)
        e = np.exp(x)
        total = np.einsum("...i->...", e)[..., None]  # (..., 1)
        if float(total.min()) > 1e-30:
            e *= 1.0 / total
            return e, e
    e = x - x.max(axis=-1, keepdims=True)
    np.exp(e, out=e)
    e /= np.einsum("...i->...", e)[..., None]
    return e, e


def softmax_backward(dp: np.ndarray, p: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """dx = p * (dp - sum(dp * p)): the Jacobian diag(p) - p p^T applied without forming it."""
    row = np.einsum("...i,...i->...", dp, p)[..., None]  # (..., 1)
    dx = dp if overwrite else dp.copy()
    dx -= row
    dx *= p
    return dx


# --------------------------------------------------------------------------- attention


def attention_forward(
    x: np.ndarray,
    w_qkv: np.ndarray,
    b_qkv: np.ndarray,
    w_o: np.ndarray,
    b_o: np.ndarray,
    n_heads: int,
    key_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple]:
    """Bidirectional multi-head self-attention (Vaswani et al. 2017, section 3.2.2).

    x (B, N, D); w_qkv (D, 3D) holds W_Q | W_K | W_V side by side so one GEMM makes all
    three; heads are an array axis, never a Python loop. key_mask (B, N) bool, True where
    a key may be attended to. Returns y (B, N, D).
    """
    B, N, D = x.shape
    dh = D // n_heads
    qkv, qkv_cache = linear_forward(x, w_qkv, b_qkv)  # (B, N, 3D)
    qkv = qkv.reshape(B, N, 3, n_heads, dh).transpose(2, 0, 3, 1, 4)  # (3, B, H, N, dh)
    scale = 1.0 / math.sqrt(dh)
    q = qkv[0] * scale  # scaling q (B, H, N, dh) is cheaper than scaling the scores (B, H, N, N)
    k, v = qkv[1], qkv[2]
    scores = q @ k.transpose(0, 1, 3, 2)  # (B, H, N, N)
    if key_mask is not None:
        scores = np.where(key_mask[:, None, None, :], scores, MASKED_SCORE)
    attn, _ = softmax_forward(scores)  # (B, H, N, N)
    heads = attn @ v  # (B, H, N, dh)
    merged = heads.transpose(0, 2, 1, 3).reshape(B, N, D)  # (B, N, D)
    y, out_cache = linear_forward(merged, w_o, b_o)
    return y, (qkv_cache, out_cache, q, k, v, attn, scale, n_heads)


def attention_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """Returns (dx (B, N, D), {"wqkv", "bqkv", "wo", "bo"} gradients)."""
    qkv_cache, out_cache, q, k, v, attn, scale, n_heads = cache
    B, H, N, dh = q.shape
    dmerged, dwo, dbo = linear_backward(dy, out_cache)  # (B, N, D)
    dheads = dmerged.reshape(B, N, H, dh).transpose(0, 2, 1, 3)  # (B, H, N, dh)
    dattn = dheads @ v.transpose(0, 1, 3, 2)  # (B, H, N, N)
    dv = attn.transpose(0, 1, 3, 2) @ dheads  # (B, H, N, dh)
    # masked entries have attn == 0, so softmax_backward already gives them zero gradient
    dscores = softmax_backward(dattn, attn, overwrite=True)
    dq = dscores @ k  # (B, H, N, dh)
    dq *= scale
    dk = dscores.transpose(0, 1, 3, 2) @ q  # q was stored already scaled
    dqkv = np.stack((dq, dk, dv))  # (3, B, H, N, dh)
    dqkv = dqkv.transpose(1, 3, 0, 2, 4).reshape(B, N, 3 * H * dh)  # (B, N, 3D)
    dx, dwqkv, dbqkv = linear_backward(dqkv, qkv_cache)
    return dx, {"wqkv": dwqkv, "bqkv": dbqkv, "wo": dwo, "bo": dbo}


# --------------------------------------------------------------------------- MLP


def mlp_forward(
    x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """Position-wise MLP: GELU(x W1 + b1) W2 + b2, x (..., D) -> (..., D)."""
    h, c1 = linear_forward(x, w1, b1)  # (..., F)
    a, cg = gelu_forward(h)
    y, c2 = linear_forward(a, w2, b2)  # (..., D)
    return y, (c1, cg, c2)


def mlp_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """Returns (dx, {"w1", "b1", "w2", "b2"} gradients)."""
    c1, cg, c2 = cache
    da, dw2, db2 = linear_backward(dy, c2)
    dh = gelu_backward(da, cg)
    dx, dw1, db1 = linear_backward(dh, c1)
    return dx, {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


def residual_mlp_forward(x, ln_g, ln_b, w1, b1, w2, b2) -> tuple[np.ndarray, tuple]:
    """x + MLP(LN(x)), the second half of a pre-LN block."""
    z, ln_cache = layernorm_forward(x, ln_g, ln_b)
    m, mlp_cache = mlp_forward(z, w1, b1, w2, b2)
    return x + m, (ln_cache, mlp_cache)


def residual_mlp_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """Returns (dx, {"ln_g", "ln_b", "w1", "b1", "w2", "b2"} gradients)."""
    ln_cache, mlp_cache = cache
    dz, grads = mlp_backward(dy, mlp_cache)
    dx_ln, dg, db = layernorm_backward(dz, ln_cache)
    grads.update(ln_g=dg, ln_b=db)
    return dy + dx_ln, grads  # the residual path passes dy straight through


# --------------------------------------------------------------------------- block


def init_block_params(
    rng: np.random.Generator, dim: int, mlp_ratio: int = 4, dtype=np.float32
) -> dict[str, np.ndarray]:
    """Block parameters: LayerNorms at identity, weights N(0, 0.02^2) (ViT, GPT-2), zero biases."""
    hidden = dim * mlp_ratio

    def normal(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(dtype)

    return {
        "ln1_g": np.ones(dim, dtype), "ln1_b": np.zeros(dim, dtype),
        "attn_wqkv": normal(dim, 3 * dim), "attn_bqkv": np.zeros(3 * dim, dtype),
        "attn_wo": normal(dim, dim), "attn_bo": np.zeros(dim, dtype),
        "ln2_g": np.ones(dim, dtype), "ln2_b": np.zeros(dim, dtype),
        "mlp_w1": normal(dim, hidden), "mlp_b1": np.zeros(hidden, dtype),
        "mlp_w2": normal(hidden, dim), "mlp_b2": np.zeros(dim, dtype),
    }  # fmt: skip


def block_forward(
    x: np.ndarray,
    params: dict[str, np.ndarray],
    n_heads: int,
    key_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple]:
    """Pre-LN transformer block. x (B, N, D) -> y (B, N, D), plus a cache for backward."""
    p = params
    z, ln1_cache = layernorm_forward(x, p["ln1_g"], p["ln1_b"])
    a, attn_cache = attention_forward(
        z, p["attn_wqkv"], p["attn_bqkv"], p["attn_wo"], p["attn_bo"], n_heads, key_mask
    )
    h = x + a  # (B, N, D)
    y, mlp_cache = residual_mlp_forward(
        h, p["ln2_g"], p["ln2_b"], p["mlp_w1"], p["mlp_b1"], p["mlp_w2"], p["mlp_b2"]
    )
    return y, (ln1_cache, attn_cache, mlp_cache)


def block_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Returns (dx (B, N, D), grads) with grads keyed exactly like the block's params."""
    ln1_cache, attn_cache, mlp_cache = cache
    dh, g_mlp = residual_mlp_backward(dy, mlp_cache)
    dz, g_attn = attention_backward(dh, attn_cache)
    dx_ln, dg1, db1 = layernorm_backward(dz, ln1_cache)
    grads = {
        "ln1_g": dg1, "ln1_b": db1,
        "attn_wqkv": g_attn["wqkv"], "attn_bqkv": g_attn["bqkv"],
        "attn_wo": g_attn["wo"], "attn_bo": g_attn["bo"],
        "ln2_g": g_mlp["ln_g"], "ln2_b": g_mlp["ln_b"],
        "mlp_w1": g_mlp["w1"], "mlp_b1": g_mlp["b1"],
        "mlp_w2": g_mlp["w2"], "mlp_b2": g_mlp["b2"],
    }  # fmt: skip
    return dh + dx_ln, grads
