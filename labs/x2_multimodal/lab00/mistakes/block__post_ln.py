"""MISTAKE: post-LN: layernorm after the residual add

task: block
caught_by: test_block_forward
why: normalising the residual stream itself (post-LN, the original Transformer) changes what the
  second residual adds to; the contract is pre-LN: h + MLP(LN2(h)).
hint: layernorm only the branch input; the residual adds to the un-normalised h.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: block


def block(x, params, n_heads, key_mask=None):
    a_in, c1 = layernorm(x, params["ln1_g"], params["ln1_b"])
    attn_p = {k: params["attn_" + k] for k in ("wqkv", "bqkv", "wo", "bo")}
    a_out, c2 = attention(a_in, attn_p, n_heads, key_mask)
    h, c3 = layernorm(x + a_out, params["ln2_g"], params["ln2_b"])
    m_in = h
    out, act, c4 = _mlp(m_in, params)
    return h + out, (c1, c2, c3, c4, m_in, act, params)
