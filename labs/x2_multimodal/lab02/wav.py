"""WAV files in and out, given to the learner (not a task): stdlib `wave` plus NumPy.

Kept apart from audio.py (the log-mel front end, part of lab 02's reference solution, which
is hidden from learner code while it is graded); audio.py re-exports these names.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


class AudioFormatError(ValueError):
    pass


def read_wav(path: str | Path, target_rate: int = 16_000) -> np.ndarray:
    """Mono float32 in [-1, 1] at `target_rate`, from an integer-PCM WAV file (stdlib `wave`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(
            f"{path}: not a WAV file this reader understands ({exc}); supported: "
            "uncompressed integer PCM, 8/16/24/32-bit, any rate, any channels. Convert "
            "with e.g. `ffmpeg -i in.xxx -ac 1 -ar 16000 -c:a pcm_s16le out.wav`"
        ) from None
    samples = _pcm_to_float(raw, width, path)
    if channels > 1:
        samples = samples[: samples.size // channels * channels].reshape(-1, channels).mean(1)
    return resample(samples, rate, target_rate)


def _pcm_to_float(raw: bytes, width: int, path: Path) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    if width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float32) / float(1 << 23)
    if width == 4:
        return (np.frombuffer(raw, "<i4").astype(np.float64) / 2.0**31).astype(np.float32)
    raise AudioFormatError(f"{path}: {8 * width}-bit samples are not supported (8/16/24/32)")


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling in the frequency domain (truncate or zero-pad the spectrum)."""
    audio = np.asarray(audio, dtype=np.float32)
    if rate_in == rate_out or audio.size == 0:
        return audio
    if rate_in <= 0 or rate_out <= 0:
        raise AudioFormatError(f"sample rates must be positive, got {rate_in} -> {rate_out}")
    n_out = int(round(audio.size * rate_out / rate_in))
    spectrum = np.fft.rfft(audio.astype(np.float64))
    keep = n_out // 2 + 1
    if keep <= spectrum.size:
        spectrum = spectrum[:keep]
    else:
        spectrum = np.pad(spectrum, (0, keep - spectrum.size))
    return (np.fft.irfft(spectrum, n_out) * (n_out / audio.size)).astype(np.float32)


def write_wav(path: str | Path, audio: np.ndarray, rate: int = 16_000) -> None:
    """16-bit PCM mono."""
    pcm = np.clip(np.round(np.asarray(audio) * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
