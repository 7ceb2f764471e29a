"""MISTAKE: the attention residual is missing

task: block
caught_by: test_block_forward
why: the block is h = x + attention(LN1(x)); without the residual the input is lost and deep
  stacks stop training.
hint: add the block's input back after the attention branch.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: block


def block(x, params, n_heads, key_mask=None):
    a_in, c1 = layernorm(x, params["ln1_g"], params["ln1_b"])
    attn_p = {k: params["attn_" + k] for k in ("wqkv", "bqkv", "wo", "bo")}
    a_out, c2 = attention(a_in, attn_p, n_heads, key_mask)
    h = a_out
    m_in, c3 = layernorm(h, params["ln2_g"], params["ln2_b"])
    out, act, c4 = _mlp(m_in, params)
    return h + out, (c1, c2, c3, c4, m_in, act, params)
