"""MISTAKE: no clamp at max - 8

task: log_mel
caught_by: test_log_mel_matches_the_feature_extractor
why: silence (the zero padding of a short clip) would reach log10(1e-10) = -10; Whisper keeps
  only the top 80 dB: max(x, x.max() - 8).
hint: after log10, clamp from below at the clip's max - 8.
"""

from __future__ import annotations

import numpy as np

# === task: log_mel


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(
        f < 1000.0,
        3.0 * f / 200.0,
        15.0 + 27.0 * np.log(np.maximum(f, 1e-9) / 1000.0) / np.log(6.4),
    )


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m < 15.0, 200.0 * m / 3.0, 1000.0 * np.exp((m - 15.0) * np.log(6.4) / 27.0))


def mel_filters(sample_rate=16_000, n_fft=400, n_mels=80, f_min=0.0, f_max=None):
    top = sample_rate / 2 if f_max is None else f_max
    edges = _mel_to_hz(np.linspace(_hz_to_mel(f_min), _hz_to_mel(top), n_mels + 2))
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    widths = np.diff(edges)  # (n_mels + 1,)
    offsets = edges[:, None] - bins[None, :]  # (n_mels + 2, F)
    up = -offsets[:-2] / widths[:-1, None]
    down = offsets[2:] / widths[1:, None]
    tri = np.clip(np.minimum(up, down), 0.0, None)
    return (tri * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def log_mel_spectrogram(audio, n_samples=480_000, n_mels=80, sample_rate=16_000, n_fft=400,
                        hop_length=160):  # fmt: skip
    x = np.asarray(audio, dtype=np.float64).ravel()
    if n_samples is not None:
        x = np.concatenate([x[:n_samples], np.zeros(max(0, n_samples - x.size))])
    half = n_fft // 2
    padded = np.concatenate([x[half:0:-1], x, x[-2 : -half - 2 : -1]])
    n_frames = x.size // hop_length
    index = np.arange(n_frames)[:, None] * hop_length + np.arange(n_fft)[None, :]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2  # (T, F)
    mel = mel_filters(sample_rate, n_fft, n_mels).astype(np.float64) @ power.T
    logs = np.log10(np.clip(mel, 1e-10, None))
    return ((logs + 4.0) / 4.0).astype(np.float32)
