"""MISTAKE: DTW takes the minimum predecessor, diagonal first on ties

task: cross_attention
caught_by: test_dtw_path_follows_whispers_tie_rule_on_tied_costs
why: the contract follows openai-whisper's and transformers' rule (diagonal only if strictly
  cheapest, then down, else right); on tied costs the textbook minimum gives a different path
  and different word times.
hint: on ties: diagonal only if strictly below both, then down only if strictly below both, else
  right.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: cross_attention


def _move(d, u, r):
    move = int(np.argmin([d, u, r]))
    return move, (d, u, r)[move]
