"""Lab 02 — Whisper inference walkthrough. Your file: fill in every `raise NotImplementedError`.

Only NumPy is needed. The checks feed what you return into the real whisper-tiny.en model:
your log-mel becomes its input, your alignment reduction reads its cross-attention, your
timestamp reader reads its logits. Run one task at a time:

    harness check lab-02 --task frames

Tasks: frames, log_mel, cross_attention, timestamps. The page
`pages/lab/02-whisper-inference-walkthrough.md` walks through each one.
"""

from __future__ import annotations

import numpy as np


def frame_arithmetic(
    sample_rate: int = 16_000,
    window_ms: float = 25.0,
    hop_ms: float = 10.0,
    chunk_s: float = 30.0,
    n_mels: int = 80,
    conv2_stride: int = 2,
) -> dict:
    """Every size between a chunk of audio and Whisper's encoder positions.

    Return a dict with these keys (ints unless noted):
      sample_rate, n_fft (samples per window), hop_length (samples per hop),
      n_samples (samples in one chunk), n_frames (log-mel frames: the centred STFT gives
      1 + n_samples // hop_length frames and Whisper drops the last one), n_mels,
      n_freq_bins (n_fft // 2 + 1), conv1_frames (after conv1: kernel 3, stride 1, padding 1),
      encoder_positions (after conv2: kernel 3, stride `conv2_stride`, padding 1),
      seconds_per_position (float), timestamp_step_s (float: one timestamp token per
      position), n_timestamp_tokens (one per position plus one for the end of the chunk).
    """
    # TODO(lab-02, task frames): derive each number from the arguments; hard-code nothing.
    raise NotImplementedError


def mel_filters(
    sample_rate: int = 16_000,
    n_fft: int = 400,
    n_mels: int = 80,
    f_min: float = 0.0,
    f_max: float | None = None,
) -> np.ndarray:
    """Slaney mel filter bank, shape (n_mels, n_fft // 2 + 1), float32.

    Slaney mel scale: mel = 3 f / 200 below 1000 Hz; above, mel = 15 + 27 ln(f / 1000) / ln 6.4.
    Place n_mels + 2 edge frequencies evenly on the mel scale between f_min and f_max
    (default sample_rate / 2), make triangle k rise from edge k to edge k+1 and fall to edge
    k+2 (evaluated at the rfft bin frequencies linspace(0, sample_rate / 2, n_fft // 2 + 1)),
    and scale it by 2 / (edge[k+2] - edge[k]) (Slaney normalisation: equal area).
    """
    # TODO(lab-02, task log_mel): build the triangles with broadcasting, no Python loop needed.
    raise NotImplementedError


def log_mel_spectrogram(
    audio: np.ndarray,
    n_samples: int | None = 480_000,
    n_mels: int = 80,
    sample_rate: int = 16_000,
    n_fft: int = 400,
    hop_length: int = 160,
) -> np.ndarray:
    """Whisper's input features for 16 kHz mono `audio` (1-D float), shape
    (n_mels, n_samples // hop_length), float32.

    Steps: pad with zeros (or cut) to n_samples (None: keep the length); reflect-pad
    n_fft // 2 samples on both sides; frames of n_fft samples every hop_length samples,
    times a *periodic* Hann window 0.5 - 0.5 cos(2 pi n / n_fft); rfft; power |X|^2; drop
    the last frame; mel_filters @ power; log10 of max(x, 1e-10); clamp from below at
    (max - 8); then (x + 4) / 4. Must match transformers' WhisperFeatureExtractor to 1e-4.
    """
    # TODO(lab-02, task log_mel): frames with np.lib.stride_tricks.sliding_window_view.
    raise NotImplementedError


def log_mel_stages(
    audio: np.ndarray,
    n_samples: int | None = 480_000,
    n_mels: int = 80,
    sample_rate: int = 16_000,
    n_fft: int = 400,
    hop_length: int = 160,
) -> dict:
    """Optional (no check grades it): your log-mel's intermediate arrays, by name.

    Return {"padded": (N,) after pad or cut, "frames": (T, n_fft) before the window,
    "windowed": (T, n_fft), "power": (T, n_fft // 2 + 1), "mel": (n_mels, T), "log": log10,
    "clamped": after max - 8, "features": (x + 4) / 4}. If you write it, a failing log_mel
    check shows the relative error of each stage against the reference and names the first
    stage that departs. The easiest way: have log_mel_spectrogram return
    log_mel_stages(...)["features"].
    """
    raise NotImplementedError


def median_filter(x: np.ndarray, width: int) -> np.ndarray:
    """Given (not a task): running median along the last axis, reflect-padded."""
    if width <= 1:
        return x
    pad = width // 2
    if x.shape[-1] <= pad:
        return x
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.median(windows, axis=-1)


def alignment_matrix(
    cross_attentions: np.ndarray, heads, n_positions: int, medfilt_width: int = 7
) -> np.ndarray:
    """Reduce cross-attention to one token-by-time matrix, shape (T, n_positions).

    cross_attentions: (L, H, T, S) probabilities (layer, head, decoder token, encoder
    position). heads: (K, 2) [layer, head] pairs (the model's alignment heads).
    Keep the K heads and the first n_positions positions (the real audio, not the padding);
    z-score each head over the token axis (mean and population std over T, per position);
    median-filter along time with `median_filter(x, medfilt_width)`; average the K heads.
    """
    # TODO(lab-02, task cross_attention): fancy indexing picks all K heads in one go.
    raise NotImplementedError


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotone path through `cost` (T, S) from (0, 0) to (T-1, S-1).

    Moves: diagonal (i+1, j+1), down (i+1, j), right (i, j+1). With acc[-1, -1] = 0 and
    acc = inf off the grid, visit j (time) in the outer loop and i (token) in the inner one and
    choose each cell's predecessor by Whisper's rule: the diagonal if its acc is strictly below
    both others, else down if strictly below both others, else right; then
    acc[i, j] = cost[i, j] + acc[chosen predecessor]. On tied costs this is *not* always the
    minimum (diagonal tied with down, both below right, still picks right): it is the rule of
    openai-whisper's and transformers' DTW, and the checks compare your path with theirs.
    Trace back from (T-1, S-1) along the chosen steps (along row 0 go right, along column 0 go
    down). Return (token_indices, time_indices): two int arrays, the path in order.
    """
    # TODO(lab-02, task cross_attention): fill the accumulated cost, then trace back.
    raise NotImplementedError


def timestamp_mass(logits: np.ndarray, timestamp_begin: int) -> dict:
    """Per step of `logits` (T, V): all timestamp tokens together vs the best text token.

    Return arrays of length T: timestamp_logprob (log of the total probability of ids >=
    timestamp_begin), best_text_logprob and best_text_id (over ids < timestamp_begin), and
    timestamp_wins (int 0/1: 1 where timestamp_logprob > best_text_logprob). Use a stable
    log-softmax and log-sum-exp (logits can be large).
    """
    # TODO(lab-02, task timestamps): log-softmax each row, then compare the two.
    raise NotImplementedError


def segments_from_tokens(
    tokens, timestamp_begin: int, eot: int, time_step: float = 0.02
) -> list[dict]:
    """Split generated ids into segments bracketed by timestamp tokens.

    Timestamp token id t means (t - timestamp_begin) * time_step seconds. `<|a|> text <|b|>`
    is a segment {start: a, end: b, tokens: [text ids]}; after a closing timestamp the next
    timestamp opens a new segment; two timestamps with no text between: the later one opens.
    Ids in [eot, timestamp_begin) are special tokens: skip them. A segment never closed
    ends at None. Round times to 2 decimals.
    """
    # TODO(lab-02, task timestamps): one pass with a small state machine.
    raise NotImplementedError
