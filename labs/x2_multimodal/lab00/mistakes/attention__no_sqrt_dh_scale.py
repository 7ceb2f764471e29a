"""MISTAKE: scores not divided by sqrt(dh)

task: attention
caught_by: test_attention_forward[no-mask]
why: scaled dot-product attention divides by sqrt(dh) so the softmax does not saturate as heads
  widen; the contract's formula has it.
hint: scores = Q K^T / sqrt(dh), with dh = D / n_heads (not D).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: attention


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
