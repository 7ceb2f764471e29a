"""MISTAKE: a segment never closed is dropped

task: timestamps
caught_by: test_segments_by_hand
why: a segment whose closing timestamp never came still holds text: it ends at None.
hint: after the loop, emit the open segment with end None.
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
        elif tok < eot:
            if start is None:
                start = out[-1]["end"] if out else 0.0
            text.append(tok)
    return out
