"""Lab 02's task surface (reference): plain functions, NumPy arrays and dicts in and out.

The starter copy (`starter/whisper_lab.py`) has the same names and signatures. The DoD checks
call these through the harness's worker process and feed the results to the real
whisper-tiny.en, which stays loaded in the checking process (see docs/CHECKS.md).

Tasks (ids as in chapter.yaml):
    frames           frame_arithmetic
    log_mel          mel_filters, log_mel_spectrogram
    cross_attention  alignment_matrix, dtw_path
    timestamps       timestamp_mass, segments_from_tokens

Nothing here imports torch: the model lives in `whisper_model.py` / `decoding.py`.
"""

from __future__ import annotations

from labs.x2_multimodal.lab02.alignment import alignment_matrix, dtw_path, median_filter
from labs.x2_multimodal.lab02.audio import (
    frame_arithmetic,
    log_mel_spectrogram,
    log_mel_stages,
    mel_filters,
)
from labs.x2_multimodal.lab02.timestamps import segments_from_tokens, timestamp_mass

__all__ = [
    "frame_arithmetic",
    "mel_filters",
    "log_mel_spectrogram",
    "log_mel_stages",
    "median_filter",
    "alignment_matrix",
    "dtw_path",
    "timestamp_mass",
    "segments_from_tokens",
]
