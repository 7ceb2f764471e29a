"""MISTAKE: zero padding instead of reflect padding at the edges

task: log_mel
caught_by: test_log_mel_cuts_long_audio_and_keeps_its_own_length_on_request
why: the centred STFT reflect-pads n_fft // 2 samples; zeros change the first and last frames.
hint: np.pad(x, n_fft // 2, mode='reflect').
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _reflect_pad(x, half):
    return np.concatenate([np.zeros(half), x, np.zeros(half)])
