"""MISTAKE: short audio padded, long audio never cut

task: log_mel
caught_by: test_log_mel_cuts_long_audio_and_keeps_its_own_length_on_request
why: Whisper's input is exactly 30 s: audio longer than n_samples is cut, or the encoder gets
  more than 3000 frames.
hint: pad *or cut* to n_samples: x[:n_samples] first.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def _chunk(audio, n_samples):
    x = np.asarray(audio, dtype=np.float64).ravel()
    if n_samples is not None:
        x = np.concatenate([x, np.zeros(max(0, n_samples - x.size))])
    return x
