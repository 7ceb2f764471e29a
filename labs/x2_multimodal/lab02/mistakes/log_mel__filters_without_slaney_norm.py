"""MISTAKE: mel triangles without the Slaney normalisation

task: log_mel
caught_by: test_mel_filters_match_transformers_filter_bank
why: Slaney normalisation scales each triangle to equal area (2 / width); without it wide high-
  frequency filters dominate.
hint: multiply triangle k by 2 / (edge[k+2] - edge[k]).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: log_mel


def mel_filters(sample_rate=16_000, n_fft=400, n_mels=80, f_min=0.0, f_max=None):
    top = sample_rate / 2 if f_max is None else f_max
    edges = _mel_to_hz(np.linspace(_hz_to_mel(f_min), _hz_to_mel(top), n_mels + 2))
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    widths = np.diff(edges)  # (n_mels + 1,)
    offsets = edges[:, None] - bins[None, :]  # (n_mels + 2, F)
    up = -offsets[:-2] / widths[:-1, None]
    down = offsets[2:] / widths[1:, None]
    tri = np.clip(np.minimum(up, down), 0.0, None)
    return tri.astype(np.float32)
