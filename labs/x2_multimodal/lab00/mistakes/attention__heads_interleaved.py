"""MISTAKE: heads taken from interleaved columns

task: attention
caught_by: test_attention_forward[no-mask]
why: the contract gives head h the contiguous columns h*dh:(h+1)*dh of Q, K and V; reshaping to
  (dh, H) takes every H-th column instead.
hint: reshape the last axis as (n_heads, dh), in that order.
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
        qkv[..., i * d : (i + 1) * d].reshape(b, n, dh, n_heads).swapaxes(2, 3) for i in range(3)
    )  # (B, N, H, dh)
    scores = np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(dh).astype(x.dtype)
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
