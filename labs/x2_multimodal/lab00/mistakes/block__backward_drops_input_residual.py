"""MISTAKE: backward drops the gradient of the first residual

task: block
caught_by: test_block_backward
why: x reaches h both directly and through the attention branch; a residual passes its incoming
  gradient through unchanged *and* into the branch.
hint: dx = dh (the skip path) + the gradient through LN1 and attention.
"""

from __future__ import annotations

import numpy as np

from labs.x2_multimodal.lab00.given import gelu_backward, gelu_forward

# === task: layernorm


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    return xhat * gamma + beta, {"xhat": xhat, "inv": inv, "gamma": gamma}


def layernorm_backward(dy, cache):
    xhat, inv, gamma = cache["xhat"], cache["inv"], cache["gamma"]
    lead = tuple(range(dy.ndim - 1))
    dgamma = (dy * xhat).sum(axis=lead)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma
    dx = inv * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta


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


# === task: block


def block(x, params, n_heads, key_mask=None):
    a_in, c1 = layernorm(x, params["ln1_g"], params["ln1_b"])
    attn_p = {k: params["attn_" + k] for k in ("wqkv", "bqkv", "wo", "bo")}
    a_out, c2 = attention(a_in, attn_p, n_heads, key_mask)
    h = x + a_out
    m_in, c3 = layernorm(h, params["ln2_g"], params["ln2_b"])
    pre = m_in @ params["mlp_w1"] + params["mlp_b1"]
    act, c4 = gelu_forward(pre)
    y = h + act @ params["mlp_w2"] + params["mlp_b2"]
    return y, (c1, c2, c3, c4, m_in, act, params)


def block_backward(dy, cache):
    c1, c2, c3, c4, m_in, act, params = cache
    f = act.shape[-1]
    d = dy.shape[-1]
    grads = {
        "mlp_w2": act.reshape(-1, f).T @ dy.reshape(-1, d),
        "mlp_b2": dy.reshape(-1, d).sum(axis=0),
    }
    dpre = gelu_backward(dy @ params["mlp_w2"].T, c4)
    grads["mlp_w1"] = m_in.reshape(-1, d).T @ dpre.reshape(-1, f)
    grads["mlp_b1"] = dpre.reshape(-1, f).sum(axis=0)
    dm, grads["ln2_g"], grads["ln2_b"] = layernorm_backward(dpre @ params["mlp_w1"].T, c3)
    dh = dy + dm
    da, ag = attention_backward(dh, c2)
    for k, g in ag.items():
        grads["attn_" + k] = g
    dx, grads["ln1_g"], grads["ln1_b"] = layernorm_backward(da, c1)
    return dx, grads
