"""MISTAKE: time_step hard-coded to 0.02

task: timestamps
caught_by: test_segments_by_hand
why: time_step is an argument (another model or chunk length has another step); hard-coding 0.02
  ignores it.
hint: use time_step.
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
            t = round((tok - timestamp_begin) * 0.02, 2)
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
