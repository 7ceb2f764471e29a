"""MISTAKE: a float64 scale turns float32 scores into float64

task: attention
caught_by: test_attention_float32_scores_in_the_hundreds
why: np.sqrt(dh) is a float64 scalar and, since NumPy 2, float32 / float64-scalar is float64:
  the whole attention silently runs in float64, twice the memory and time; the contract says
  float32 stays float32.
hint: keep the dtype: divide by a Python float (math.sqrt) or cast the scale to x.dtype.
"""

from __future__ import annotations

import numpy as np

# === task: attention


def _softmax(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def attention(x, params, n_heads, key_mask=None):
    b, n, d = x.shape
    dh = d // n_heads
    qkv = x @ params["wqkv"] + params["bqkv"]  # (B, N, 3D)
    q, k, v = (
        qkv[..., i * d : (i + 1) * d].reshape(b, n, n_heads, dh) for i in range(3)
    )  # (B, N, H, dh)
    scores = np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(dh)
    if key_mask is not None:
        scores = np.where(key_mask[:, None, None, :], scores, -np.inf)
    p = _softmax(scores)
    ctx = np.einsum("bhqk,bkhd->bqhd", p, v).reshape(b, n, d)
    y = ctx @ params["wo"] + params["bo"]
    return y, {"x": x, "q": q, "k": k, "v": v, "p": p, "ctx": ctx, "params": params, "dh": dh}


def attention_backward(dy, cache):
    x, q, k, v, p, ctx, params = (cache[s] for s in ("x", "q", "k", "v", "p", "ctx", "params"))
    b, n, d = x.shape
    grads = {
        "wo": ctx.reshape(-1, d).T @ dy.reshape(-1, d),
        "bo": dy.reshape(-1, d).sum(axis=0),
    }
    dctx = (dy @ params["wo"].T).reshape(q.shape)  # (B, N, H, dh)
    dp = np.einsum("bqhd,bkhd->bhqk", dctx, v)
    dv = np.einsum("bhqk,bqhd->bkhd", p, dctx)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) / np.sqrt(cache["dh"])
    dq = np.einsum("bhqk,bkhd->bqhd", ds, k)
    dk = np.einsum("bhqk,bqhd->bkhd", ds, q)
    dqkv = np.concatenate([t.reshape(b, n, d) for t in (dq, dk, dv)], axis=-1)
    grads["wqkv"] = x.reshape(-1, d).T @ dqkv.reshape(-1, 3 * d)
    grads["bqkv"] = dqkv.reshape(-1, 3 * d).sum(axis=0)
    return dqkv @ params["wqkv"].T, grads
