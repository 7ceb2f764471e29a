"""MISTAKE: no clamp at max - 8

task: log_mel
caught_by: test_log_mel_matches_the_feature_extractor
why: silence (the zero padding of a short clip) would reach log10(1e-10) = -10; Whisper keeps
  only the top 80 dB: max(x, x.max() - 8).
hint: after log10, clamp from below at the clip's max - 8.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _log_compress(mel):
    logs = np.log10(np.clip(mel, 1e-10, None))
    return ((logs + 4.0) / 4.0).astype(np.float32)
