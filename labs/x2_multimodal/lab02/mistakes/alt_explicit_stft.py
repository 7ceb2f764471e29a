"""CORRECT alternative: an explicit STFT loop-free by index arithmetic, DTW by arrays.

tasks: frames, log_mel, cross_attention, timestamps
why: written independently of the reference (frames gathered with an index matrix, the mel
  triangles from slopes, DTW with a cost array and a step array, segments by a small state
  machine over (start, text)) to show the checks accept any implementation of the contract.
"""

from __future__ import annotations

import numpy as np

# === task: frames


def frame_arithmetic(sample_rate=16_000, window_ms=25.0, hop_ms=10.0, chunk_s=30.0, n_mels=80,
                     conv2_stride=2):  # fmt: skip
    n_fft = int(round(sample_rate * window_ms / 1000.0))
    hop = int(round(sample_rate * hop_ms / 1000.0))
    n_samples = int(round(sample_rate * chunk_s))
    n_frames = (1 + n_samples // hop) - 1
    conv1 = (n_frames + 2 - 3) // 1 + 1
    positions = (conv1 + 2 - 3) // conv2_stride + 1
    step = chunk_s / positions
    return {
        "sample_rate": sample_rate, "n_fft": n_fft, "hop_length": hop, "n_samples": n_samples,
        "n_frames": n_frames, "n_mels": n_mels, "n_freq_bins": n_fft // 2 + 1,
        "conv1_frames": conv1, "encoder_positions": positions, "seconds_per_position": step,
        "timestamp_step_s": step, "n_timestamp_tokens": positions + 1,
    }  # fmt: skip


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


def _chunk(audio, n_samples):
    """float64 samples cut or zero-padded to n_samples (None: as they are)."""
    x = np.asarray(audio, dtype=np.float64).ravel()
    if n_samples is not None:
        x = np.concatenate([x[:n_samples], np.zeros(max(0, n_samples - x.size))])
    return x


def _reflect_pad(x, half):
    return np.concatenate([x[half:0:-1], x, x[-2 : -half - 2 : -1]])


def _hann(n_fft):
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)  # periodic


def _power_spectrum(frames):
    return np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (T, F)


def _log_compress(mel):
    logs = np.log10(np.clip(mel, 1e-10, None))
    logs = np.maximum(logs, logs.max() - 8.0)
    return ((logs + 4.0) / 4.0).astype(np.float32)


def log_mel_spectrogram(audio, n_samples=480_000, n_mels=80, sample_rate=16_000, n_fft=400,
                        hop_length=160):  # fmt: skip
    x = _chunk(audio, n_samples)
    padded = _reflect_pad(x, n_fft // 2)
    n_frames = x.size // hop_length
    index = np.arange(n_frames)[:, None] * hop_length + np.arange(n_fft)[None, :]
    power = _power_spectrum(padded[index] * _hann(n_fft))  # (T, F)
    mel = mel_filters(sample_rate, n_fft, n_mels).astype(np.float64) @ power.T
    return _log_compress(mel)


# === task: cross_attention


def median_filter(x, width):
    if width <= 1:
        return x
    pad = width // 2
    if x.shape[-1] <= pad:
        return x
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.median(windows, axis=-1)


def alignment_matrix(cross_attentions, heads, n_positions, medfilt_width=7):
    att = np.asarray(cross_attentions, dtype=np.float64)
    pairs = np.asarray(heads).reshape(-1, 2)
    w = np.stack([att[layer, head, :, :n_positions] for layer, head in pairs])  # (K, T, S)
    w = (w - w.mean(axis=1, keepdims=True)) / w.std(axis=1, keepdims=True)
    return median_filter(w, medfilt_width).mean(axis=0)


def _move(d, u, r):
    """(move, its cost) from the diagonal, up and left predecessors; any tie goes right."""
    if d < u and d < r:
        return 0, d
    if u < d and u < r:
        return 1, u
    return 2, r


def _moves(cost):
    """The move into each cell of the accumulated cost: 0 diagonal, 1 down, 2 right."""
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    move = np.zeros((n + 1, m + 1), dtype=np.int8)
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            move[i, j], prev = _move(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
            acc[i, j] = cost[i - 1, j - 1] + prev
    return move


def dtw_path(cost):
    return _backtrack(_moves(np.asarray(cost, dtype=np.float64)))


def _backtrack(move):
    """(token rows, time columns) of the path from (0, 0) to the last cell."""
    n, m = move.shape[0] - 1, move.shape[1] - 1
    rows, cols = [], []
    i, j = n, m
    while i > 0 or j > 0:
        rows.append(i - 1)
        cols.append(j - 1)
        step = 2 if i == 0 else 1 if j == 0 else move[i, j]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return np.array(rows[::-1], dtype=np.int64), np.array(cols[::-1], dtype=np.int64)


# === task: timestamps


def _logsumexp(z, axis=-1):
    top = z.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def _log_softmax(z):
    return z - _logsumexp(z)[:, None]


def _best_text(logp, timestamp_begin):
    """The most likely text token of each row (ids below timestamp_begin) and its log-prob."""
    ids = logp[:, :timestamp_begin].argmax(axis=1)
    return ids, logp[np.arange(len(logp)), ids]


def timestamp_mass(logits, timestamp_begin):
    z = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    logp = _log_softmax(z)
    ts = _logsumexp(logp[:, timestamp_begin:])
    ids, best = _best_text(logp, timestamp_begin)
    return {
        "timestamp_logprob": ts,
        "best_text_logprob": best,
        "best_text_id": ids.astype(np.int64),
        "timestamp_wins": (ts > best).astype(np.int64),
    }


def segments_from_tokens(tokens, timestamp_begin, eot, time_step=0.02):
    out = []
    start, text = None, []
    for tok in map(int, tokens):
        if tok >= timestamp_begin:
            t = round((tok - timestamp_begin) * time_step, 2)
            if start is not None and text:
                out.append({"start": start, "end": t, "tokens": text})
                start, text = None, []
            else:
                start = t
        elif tok < eot:
            if start is None:
                start = out[-1]["end"] if out else 0.0
            text.append(tok)
    if text:
        out.append({"start": start, "end": None, "tokens": text})
    return out
