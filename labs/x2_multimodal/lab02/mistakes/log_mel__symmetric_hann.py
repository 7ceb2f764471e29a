"""MISTAKE: a symmetric Hann window

task: log_mel
caught_by: test_log_mel_cuts_long_audio_and_keeps_its_own_length_on_request
why: np.hanning is the symmetric window (divides by n_fft - 1); the STFT Whisper uses takes the
  periodic one (divides by n_fft).
hint: periodic Hann: 0.5 - 0.5 cos(2 pi n / n_fft).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _hann(n_fft):
    return np.hanning(n_fft)
