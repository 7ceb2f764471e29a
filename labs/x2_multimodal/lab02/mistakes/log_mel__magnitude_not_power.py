"""MISTAKE: |X| instead of |X|^2

task: log_mel
caught_by: test_log_mel_cuts_long_audio_and_keeps_its_own_length_on_request
why: the mel filters weight the power spectrum; the magnitude halves every log value.
hint: power = |rfft|^2.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _power_spectrum(frames):
    return np.abs(np.fft.rfft(frames, axis=1))  # (T, F)
