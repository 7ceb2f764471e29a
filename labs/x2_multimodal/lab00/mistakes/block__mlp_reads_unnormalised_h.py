"""MISTAKE: the MLP reads h instead of LN2(h)

task: block
caught_by: test_block_forward
why: a pre-LN block normalises the input of each branch; skipping LN2 feeds the MLP the raw
  residual stream.
hint: y = h + MLP(LN2(h)): the MLP's input is the second layernorm's output.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: block


def block(x, params, n_heads, key_mask=None):
    a_in, c1 = layernorm(x, params["ln1_g"], params["ln1_b"])
    attn_p = {k: params["attn_" + k] for k in ("wqkv", "bqkv", "wo", "bo")}
    a_out, c2 = attention(a_in, attn_p, n_heads, key_mask)
    h = x + a_out
    m_in, c3 = layernorm(h, params["ln2_g"], params["ln2_b"])
    out, act, c4 = _mlp(h, params)
    return h + out, (c1, c2, c3, c4, m_in, act, params)
