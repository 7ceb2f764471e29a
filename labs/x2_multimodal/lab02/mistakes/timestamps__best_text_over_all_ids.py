"""MISTAKE: best text token searched over every id

task: timestamps
caught_by: test_timestamp_mass_on_known_probabilities
why: text tokens are the ids below timestamp_begin; a timestamp can win the argmax over the
  whole vocabulary.
hint: argmax over logp[:, :timestamp_begin].
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: timestamps


def _best_text(logp, timestamp_begin):
    ids = logp.argmax(axis=1)
    return ids, logp[np.arange(len(logp)), ids]
