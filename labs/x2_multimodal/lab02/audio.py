"""Audio in, log-mel out: Whisper's frame arithmetic and log-mel in NumPy.

Part of lab 02's reference solution (hidden from learner code while it is graded); WAV
reading and resampling are given, in wav.py, and re-exported here.

Whisper's front end (Radford et al., 2022, section 2.2): 16 kHz audio, cut or padded to 30 s,
25 ms Hann windows every 10 ms, 80 Slaney mel filters, log10, dynamic range clamped to 8
(i.e. 80 dB), then scaled to roughly [-1, 1] with (x + 4) / 4.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from labs.x2_multimodal.lab02.wav import (  # noqa: F401
    AudioFormatError,
    read_wav,
    resample,
    write_wav,
)


@dataclass(frozen=True)
class FrontEnd:
    sample_rate: int = 16_000
    window_ms: float = 25.0
    hop_ms: float = 10.0
    chunk_s: float = 30.0
    n_mels: int = 80


WHISPER = FrontEnd()
LOG_FLOOR = 1e-10
DYNAMIC_RANGE = 8.0  # in log10 units: 80 dB below the loudest bin


# --- frame arithmetic -----------------------------------------------------------------------


def frame_arithmetic(
    sample_rate: int = 16_000,
    window_ms: float = 25.0,
    hop_ms: float = 10.0,
    chunk_s: float = 30.0,
    n_mels: int = 80,
    conv2_stride: int = 2,
) -> dict:
    """Every size between a 30 s chunk of audio and the encoder's output positions."""
    n_fft = round(sample_rate * window_ms / 1000)  # 400 samples
    hop = round(sample_rate * hop_ms / 1000)  # 160 samples
    n_samples = round(sample_rate * chunk_s)  # 480,000
    # Centred STFT gives 1 + n_samples // hop frames; Whisper drops the last one.
    n_frames = n_samples // hop  # 3000
    conv1_frames = n_frames  # kernel 3, stride 1, padding 1: length kept
    positions = (conv1_frames + 2 * 1 - 3) // conv2_stride + 1  # kernel 3, stride 2, pad 1
    seconds_per_position = chunk_s / positions  # 0.02 s
    return {
        "sample_rate": sample_rate,
        "n_fft": n_fft,
        "hop_length": hop,
        "n_samples": n_samples,
        "n_frames": n_frames,
        "n_mels": n_mels,
        "n_freq_bins": n_fft // 2 + 1,
        "conv1_frames": conv1_frames,
        "encoder_positions": positions,
        "seconds_per_position": seconds_per_position,
        "timestamp_step_s": seconds_per_position,
        "n_timestamp_tokens": positions + 1,
    }


# --- mel filters ----------------------------------------------------------------------------


def hz_to_mel(hz):
    """Slaney's mel scale: linear (3 mel per 200 Hz) below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    linear = 3.0 * hz / 200.0
    log = min_log_mel + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep
    return np.where(hz >= min_log_hz, log, linear)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    linear = 200.0 * mel / 3.0
    log = min_log_hz * np.exp(logstep * (np.maximum(mel, min_log_mel) - min_log_mel))
    return np.where(mel >= min_log_mel, log, linear)


def mel_filters(
    sample_rate: int = 16_000,
    n_fft: int = 400,
    n_mels: int = 80,
    f_min: float = 0.0,
    f_max: float | None = None,
) -> np.ndarray:
    """Slaney-normalised triangular filters, shape (n_mels, n_fft // 2 + 1)."""
    f_max = sample_rate / 2 if f_max is None else f_max
    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)  # (F,)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))  # (M+2,)
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (fft_hz[None, :] - lower) / (centre - lower)  # (M, F)
    falling = (upper - fft_hz[None, :]) / (upper - centre)
    tri = np.maximum(0.0, np.minimum(rising, falling))
    # Slaney norm: each triangle has unit area, so wide high-frequency filters don't dominate.
    return (tri * (2.0 / (upper - lower))).astype(np.float32)


# --- log-mel --------------------------------------------------------------------------------


def pad_or_trim(audio: np.ndarray, n_samples: int = 480_000) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size >= n_samples:
        return audio[:n_samples]
    return np.pad(audio, (0, n_samples - audio.size))


def hann_window(n: int) -> np.ndarray:
    """The periodic Hann window (what `torch.hann_window` and the feature extractor use)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _cached_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    return mel_filters(sample_rate, n_fft, n_mels)


def log_mel_spectrogram(
    audio: np.ndarray,
    n_samples: int | None = 480_000,
    n_mels: int = 80,
    sample_rate: int = 16_000,
    n_fft: int = 400,
    hop_length: int = 160,
) -> np.ndarray:
    """Whisper's input features: (n_mels, n_samples // hop_length) float32, about [-1, 1].

    `n_samples=None` keeps the audio's own length instead of padding to 30 s.
    """
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if n_samples is not None:
        x = pad_or_trim(x, n_samples)
    # Centre each window on its frame: reflect-pad half a window on both sides.
    padded = np.pad(x, n_fft // 2, mode="reflect")  # (N + n_fft,)
    n_frames = x.size // hop_length  # the centred STFT's last frame is dropped
    # A short clip padded to 30 s is mostly zeros, and a window of zeros has exactly zero
    # power: transform only the frames that reach a nonzero sample (the result is identical).
    nonzero = np.flatnonzero(padded)
    last = int(nonzero[-1]) if nonzero.size else -1
    n_active = min(n_frames, last // hop_length + 1) if last >= 0 else 0
    windows = np.lib.stride_tricks.sliding_window_view(padded, n_fft)  # (N + 1, n_fft), a view
    frames = windows[: n_active * hop_length : hop_length]  # (A, n_fft)
    # float64 on purpose: NumPy's float32 rfft is about 3x slower than its float64 one.
    spectrum = np.fft.rfft(frames * hann_window(n_fft).astype(np.float64), axis=-1)  # (A, F)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    mel = np.zeros((n_mels, n_frames), dtype=np.float32)  # (M, T)
    mel[:, :n_active] = _cached_filters(sample_rate, n_fft, n_mels) @ power.T
    log_mel = np.log10(np.maximum(mel, LOG_FLOOR))
    # Silence would otherwise reach -10; keep only the top 80 dB of this clip.
    log_mel = np.maximum(log_mel, log_mel.max() - DYNAMIC_RANGE)
    return (log_mel + 4.0) / 4.0


LOG_MEL_STAGES = ("padded", "frames", "windowed", "power", "mel", "log", "clamped", "features")


def log_mel_stages(
    audio: np.ndarray,
    n_samples: int | None = 480_000,
    n_mels: int = 80,
    sample_rate: int = 16_000,
    n_fft: int = 400,
    hop_length: int = 160,
) -> dict[str, np.ndarray]:
    """Every intermediate of `log_mel_spectrogram`, by name (LOG_MEL_STAGES), for diagnosis:
    padded (N,), frames and windowed (T, n_fft), power (T, F), then mel, log, clamped and
    features (n_mels, T). Slower than the fused version: it keeps every frame."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    padded = pad_or_trim(x, n_samples) if n_samples is not None else x
    n_frames = padded.size // hop_length
    reflected = np.pad(padded, n_fft // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(reflected, n_fft)[::hop_length][:n_frames]
    windowed = frames * hann_window(n_fft).astype(np.float64)
    spectrum = np.fft.rfft(windowed, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    mel = _cached_filters(sample_rate, n_fft, n_mels) @ power.T
    log = np.log10(np.maximum(mel, LOG_FLOOR))
    clamped = np.maximum(log, log.max() - DYNAMIC_RANGE)
    return {
        "padded": padded, "frames": np.ascontiguousarray(frames), "windowed": windowed,
        "power": power, "mel": mel, "log": log, "clamped": clamped,
        "features": (clamped + 4.0) / 4.0,
    }  # fmt: skip


# --- WAV in ---------------------------------------------------------------------------------
