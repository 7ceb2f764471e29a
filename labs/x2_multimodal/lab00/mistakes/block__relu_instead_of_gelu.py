"""MISTAKE: ReLU instead of GELU

task: block
caught_by: test_block_forward
why: the contract's MLP uses GELU (tanh approximation), given in given.py; ReLU gives a
  different function.
hint: use the given gelu_forward / gelu_backward.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: block


def _mlp(m_in, params):
    pre = m_in @ params["mlp_w1"] + params["mlp_b1"]
    act, c4 = np.maximum(pre, 0.0), (pre, np.ones_like(pre))
    return act @ params["mlp_w2"] + params["mlp_b2"], act, c4
