"""MISTAKE: scores not divided by sqrt(dh)

task: attention
caught_by: test_attention_forward[no-mask]
why: scaled dot-product attention divides by sqrt(dh) so the softmax does not saturate as heads
  widen; the contract's formula has it.
hint: scores = Q K^T / sqrt(dh), with dh = D / n_heads (not D).
"""

from __future__ import annotations

import numpy as np

# === task: attention


def _softmax(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def attention_stages(x, params, n_heads, key_mask=None):
    b, n, d = x.shape
    dh = d // n_heads
    qkv = x @ params["wqkv"] + params["bqkv"]  # (B, N, 3D)
    q, k, v = (
        qkv[..., i * d : (i + 1) * d].reshape(b, n, n_heads, dh) for i in range(3)
    )  # (B, N, H, dh)
    scores = np.einsum("bqhd,bkhd->bhqk", q, k)
    scaled = scores  # (B, H, N, N)
    masked = scaled
    if key_mask is not None:
        masked = np.where(key_mask[:, None, None, :], scaled, -np.inf)
    weights = _softmax(masked)
    weighted = np.einsum("bhqk,bkhd->bhqd", weights, v)  # (B, H, N, dh)
    merged = weighted.transpose(0, 2, 1, 3).reshape(b, n, d)
    output = merged @ params["wo"] + params["bo"]
    return {
        "qkv": qkv, "scores": scores, "scaled": scaled, "masked": masked, "weights": weights,
        "weighted": weighted, "merged": merged, "output": output, "q": q, "k": k, "v": v,
    }  # fmt: skip


def attention(x, params, n_heads, key_mask=None):
    s = attention_stages(x, params, n_heads, key_mask)
    cache = {"x": x, "q": s["q"], "k": s["k"], "v": s["v"], "p": s["weights"],
             "ctx": s["merged"], "params": params, "dh": x.shape[-1] // n_heads}  # fmt: skip
    return s["output"], cache


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
