"""MISTAKE: special tokens kept as text

task: timestamps
caught_by: test_segments_by_hand
why: ids from eot up to timestamp_begin are special tokens (<|endoftext|>, <|notimestamps|>...)
  and are skipped.
hint: skip ids in [eot, timestamp_begin).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: timestamps


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
        else:
            if start is None:
                start = out[-1]["end"] if out else 0.0
            text.append(tok)
    if text:
        out.append({"start": start, "end": None, "tokens": text})
    return out
