"""CORRECT alternative: explicit head axes, a cache of named dicts, a [CLS]-free ViT trainer.

tasks: patchify, layernorm, attention, block, train
why: written independently of the reference (different shapes of cache, einsum for the
  attention, the variance from centred values, a trainer of its own) to show the checks
  accept any implementation that honours the contract.
"""

from __future__ import annotations

import time

import numpy as np

from labs.x2_multimodal.lab00.data import HEADS, icon_dataset
from labs.x2_multimodal.lab00.given import gelu_backward, gelu_forward, softmax_cross_entropy
from labs.x2_multimodal.lab00.optim import AdamW

# === task: patchify


def patchify(images, patch):
    single = images.ndim == 3
    x = images[None] if single else images
    b, h, w, c = x.shape
    gh, gw = h // patch, w // patch
    x = x.reshape(b, gh, patch, gw, patch, c)
    x = np.einsum("bipjqc->bijpqc", x)
    out = x.reshape(b, gh * gw, patch * patch * c)
    return out[0] if single else out


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


def _heads(x, params, n_heads):
    """q, k, v, each (B, N, H, dh): head h reads features h*dh:(h+1)*dh of its third of qkv."""
    b, n, d = x.shape
    qkv = x @ params["wqkv"] + params["bqkv"]  # (B, N, 3D)
    dh = d // n_heads
    return tuple(qkv[..., i * d : (i + 1) * d].reshape(b, n, n_heads, dh) for i in range(3))


def _scores(q, k, dtype):
    return np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(q.shape[-1]).astype(dtype)  # (B, H, N, N)


def _mask_keys(scores, key_mask):
    if key_mask is None:
        return scores
    return np.where(key_mask[:, None, None, :], scores, -np.inf)


def attention(x, params, n_heads, key_mask=None):
    b, n, d = x.shape
    q, k, v = _heads(x, params, n_heads)
    p = _softmax(_mask_keys(_scores(q, k, x.dtype), key_mask))
    ctx = np.einsum("bhqk,bkhd->bqhd", p, v).reshape(b, n, d)
    y = ctx @ params["wo"] + params["bo"]
    cache = {"x": x, "q": q, "k": k, "v": v, "p": p, "ctx": ctx, "params": params}
    return y, {**cache, "dh": d // n_heads}


def _output_grads(ctx, dy):
    d = dy.shape[-1]
    return {"wo": ctx.reshape(-1, d).T @ dy.reshape(-1, d), "bo": dy.reshape(-1, d).sum(axis=0)}


def _softmax_backward(p, dp):
    return p * (dp - (dp * p).sum(axis=-1, keepdims=True))


def attention_backward(dy, cache):
    x, q, k, v, p, ctx, params = (cache[s] for s in ("x", "q", "k", "v", "p", "ctx", "params"))
    b, n, d = x.shape
    grads = _output_grads(ctx, dy)
    dctx = (dy @ params["wo"].T).reshape(q.shape)  # (B, N, H, dh)
    dp = np.einsum("bqhd,bkhd->bhqk", dctx, v)
    dv = np.einsum("bhqk,bqhd->bkhd", p, dctx)
    ds = _softmax_backward(p, dp) / np.sqrt(cache["dh"])
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
    out, act, c4 = _mlp(m_in, params)
    return h + out, (c1, c2, c3, c4, m_in, act, params)


def _mlp(m_in, params):
    """(output, GELU activations, GELU cache) of the two-layer MLP."""
    act, c4 = gelu_forward(m_in @ params["mlp_w1"] + params["mlp_b1"])
    return act @ params["mlp_w2"] + params["mlp_b2"], act, c4


def _mlp_half_backward(dy, c3, c4, m_in, act, params):
    """d LN2(h) -> MLP -> out: (dh through that branch only, its parameters' grads)."""
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
    return dm, grads


def _attention_half_backward(dh, c1, c2):
    """d LN1(x) -> attention -> h: (dx through that branch only, its parameters' grads)."""
    da, ag = attention_backward(dh, c2)
    grads = {"attn_" + k: g for k, g in ag.items()}
    dx, grads["ln1_g"], grads["ln1_b"] = layernorm_backward(da, c1)
    return dx, grads


def block_backward(dy, cache):
    c1, c2, c3, c4, m_in, act, params = cache
    dm, grads = _mlp_half_backward(dy, c3, c4, m_in, act, params)
    dh = dy + dm  # the residual around the MLP
    dx, attn_grads = _attention_half_backward(dh, c1, c2)
    return dh + dx, {**grads, **attn_grads}  # and the residual around attention


# === task: train

_MEAN, _STD = 0.2, 0.33


def _tokens(images, patch):
    x = (np.asarray(images, dtype=np.float32)[..., None] - _MEAN) / _STD
    return patchify(x, patch)


def _init(cfg, rng):
    d, f, pp = cfg["dim"], cfg["dim"] * 2, cfg["patch"] ** 2
    n_tok = (32 // cfg["patch"]) ** 2

    def w(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    p = {"embed_w": w(pp, d), "embed_b": np.zeros(d, np.float32), "pos": w(n_tok, d)}
    for i in range(cfg["depth"]):
        for name, shape in (("attn_wqkv", (d, 3 * d)), ("attn_wo", (d, d)),
                            ("mlp_w1", (d, f)), ("mlp_w2", (f, d))):  # fmt: skip
            p[f"b{i}.{name}"] = w(*shape)
        for name, size in (("attn_bqkv", 3 * d), ("attn_bo", d), ("mlp_b1", f), ("mlp_b2", d),
                           ("ln1_b", d), ("ln2_b", d)):  # fmt: skip
            p[f"b{i}.{name}"] = np.zeros(size, np.float32)
        p[f"b{i}.ln1_g"] = np.ones(d, np.float32)
        p[f"b{i}.ln2_g"] = np.ones(d, np.float32)
    p["norm_g"], p["norm_b"] = np.ones(d, np.float32), np.zeros(d, np.float32)
    for head, k in cfg["heads"]:
        p[f"head.{head}.w"], p[f"head.{head}.b"] = w(d, k), np.zeros(k, np.float32)
    return p


def _block_params(p, i):
    prefix = f"b{i}."
    return {k[len(prefix) :]: v for k, v in p.items() if k.startswith(prefix)}


def _forward(cfg, p, images):
    t = _tokens(images, cfg["patch"])
    x = t @ p["embed_w"] + p["embed_b"] + p["pos"]
    caches = []
    for i in range(cfg["depth"]):
        x, c = block(x, _block_params(p, i), cfg["n_heads"])
        caches.append(c)
    pooled = x.mean(axis=1)
    z, cn = layernorm(pooled, p["norm_g"], p["norm_b"])
    logits = {h: z @ p[f"head.{h}.w"] + p[f"head.{h}.b"] for h, _ in cfg["heads"]}
    return logits, (t, caches, cn, z, x.shape[1])


def _backward(cfg, p, dlogits, cache):
    t, caches, cn, z, n_tok = cache
    g = {}
    dz = 0.0
    for h, _ in cfg["heads"]:
        g[f"head.{h}.w"] = z.T @ dlogits[h]
        g[f"head.{h}.b"] = dlogits[h].sum(axis=0)
        dz = dz + dlogits[h] @ p[f"head.{h}.w"].T
    dpooled, g["norm_g"], g["norm_b"] = layernorm_backward(dz, cn)
    dx = np.repeat(dpooled[:, None, :] / n_tok, n_tok, axis=1)
    for i in reversed(range(cfg["depth"])):
        dx, bg = block_backward(dx, caches[i])
        for k, v in bg.items():
            g[f"b{i}.{k}"] = v
    d = dx.shape[-1]
    g["pos"] = dx.sum(axis=0)
    g["embed_b"] = dx.reshape(-1, d).sum(axis=0)
    g["embed_w"] = t.reshape(-1, t.shape[-1]).T @ dx.reshape(-1, d)
    return g


def train(config, seed, time_budget_s):
    start = time.perf_counter()
    target = config.get("target", "verb")
    cfg = {"dim": 64, "depth": 4, "n_heads": 4, "patch": 8, "heads": HEADS[target]}
    max_steps = int(config.get("max_steps", 10**9))
    stop_at = config.get("stop_at_accuracy")
    rng = np.random.default_rng(seed)
    images, labels = icon_dataset(8000, seed, "train")
    val_images, val_labels = icon_dataset(500, seed, "heldout")
    p = _init(cfg, rng)
    opt = AdamW(p, lr=2e-3, betas=(0.9, 0.999), weight_decay=0.05)
    step = 0
    while _more_steps(step, max_steps, start, time_budget_s):
        batch = rng.integers(0, len(images), 64)
        logits, cache = _forward(cfg, p, images[batch])
        dlogits = {}
        for h, _ in cfg["heads"]:
            _, dlogits[h] = softmax_cross_entropy(logits[h], labels[h][batch])
        lr = 2e-3 * min(1.0, (step + 1) / 30)
        opt.step(_backward(cfg, p, dlogits, cache), lr=lr)
        step += 1
        if stop_at is not None and step % 50 == 0:
            pred = predict({"cfg": cfg, "p": p}, val_images)
            if np.mean(pred["verb"] == val_labels["verb"]) >= stop_at:
                break
    return {"cfg": cfg, "p": p}


def _more_steps(step, max_steps, start, time_budget_s):
    """Another step fits: fewer than max_steps so far and 15 s of the budget left."""
    return step < max_steps and time.perf_counter() - start < time_budget_s - 15


def predict(params, images):
    cfg, p = params["cfg"], params["p"]
    out = {h: [] for h, _ in cfg["heads"]}
    for i in range(0, len(images), 256):
        logits, _ = _forward(cfg, p, images[i : i + 256])
        for h in out:
            out[h].append(logits[h].argmax(axis=-1))
    return {h: np.concatenate(v).astype(np.int64) for h, v in out.items()}
