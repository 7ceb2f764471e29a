"""MISTAKE: features returned as float64

task: log_mel
caught_by: test_log_mel_cuts_long_audio_and_keeps_its_own_length_on_request
why: the contract returns float32, the model's input dtype; float64 doubles memory and is cast
  anyway.
hint: return float32.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _log_compress(mel):
    logs = np.log10(np.clip(mel, 1e-10, None))
    logs = np.maximum(logs, logs.max() - 8.0)
    return (logs + 4.0) / 4.0
