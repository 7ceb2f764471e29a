"""MISTAKE: (x + 4) / 4 left out

task: log_mel
caught_by: test_log_mel_cuts_long_audio_and_keeps_its_own_length_on_request
why: Whisper was trained on features scaled to about [-1, 1] by (x + 4) / 4.
hint: finish with (x + 4) / 4.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _log_compress(mel):
    logs = np.log10(np.clip(mel, 1e-10, None))
    logs = np.maximum(logs, logs.max() - 8.0)
    return logs.astype(np.float32)
