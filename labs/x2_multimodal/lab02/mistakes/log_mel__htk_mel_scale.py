"""MISTAKE: the HTK mel scale instead of Slaney's

task: log_mel
caught_by: test_mel_filters_match_transformers_filter_bank
why: Whisper's filters (librosa's default) use Slaney's scale, linear below 1 kHz; HTK's 2595
  log10(1 + f/700) places the edges elsewhere.
hint: Slaney: 3 f / 200 below 1 kHz, 15 + 27 ln(f / 1000) / ln 6.4 above.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
