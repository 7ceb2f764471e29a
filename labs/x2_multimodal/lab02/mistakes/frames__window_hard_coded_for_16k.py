"""MISTAKE: n_fft and hop hard-coded for 16 kHz

task: frames
caught_by: test_frame_arithmetic_follows_its_arguments
why: the window and hop are 25 ms and 10 ms of *this* sample rate; the contract derives every
  number from the arguments (8 kHz gives 200 and 80).
hint: n_fft = sample_rate * window_ms / 1000, hop = sample_rate * hop_ms / 1000.
"""

from __future__ import annotations

# === task: frames


def frame_arithmetic(sample_rate=16_000, window_ms=25.0, hop_ms=10.0, chunk_s=30.0, n_mels=80,
                     conv2_stride=2):  # fmt: skip
    n_fft = 400
    hop = 160
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
