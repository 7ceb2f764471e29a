"""Reading Whisper's timestamp tokens: probability mass per step, and segments.

The vocabulary ends with 1501 timestamp tokens <|0.00|> ... <|30.00|>, one per 20 ms encoder
position. At each step Whisper's decoding rule (openai-whisper's `ApplyTimestampRules`, also
transformers' `WhisperTimeStampLogitsProcessor`) compares the *total* probability of all
timestamp tokens with the probability of the single best text token, and forces a
timestamp when the total wins.
"""

from __future__ import annotations

import numpy as np

TIME_STEP_S = 0.02


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def timestamp_mass(logits: np.ndarray, timestamp_begin: int) -> dict:
    """Per decoding step (rows of `logits`, (T, V)): timestamp mass vs the best text token.

    Returns arrays of length T: `timestamp_logprob` (log of the summed probability of every
    id >= timestamp_begin), `best_text_logprob` and `best_text_id` (over ids <
    timestamp_begin), and `timestamp_wins` (1 where the summed timestamp mass is larger).
    """
    logp = log_softmax(np.atleast_2d(logits))  # (T, V)
    ts = logp[:, timestamp_begin:]
    top = ts.max(axis=-1, keepdims=True)
    ts_logprob = (top + np.log(np.exp(ts - top).sum(axis=-1, keepdims=True)))[:, 0]
    text = logp[:, :timestamp_begin]
    best_id = text.argmax(axis=-1)
    best = np.take_along_axis(text, best_id[:, None], axis=-1)[:, 0]
    return {
        "timestamp_logprob": ts_logprob,
        "best_text_logprob": best,
        "best_text_id": best_id.astype(np.int64),
        "timestamp_wins": (ts_logprob > best).astype(np.int64),
    }


def segments_from_tokens(
    tokens, timestamp_begin: int, eot: int, time_step: float = TIME_STEP_S
) -> list[dict]:
    """Split a generated id sequence into segments bracketed by timestamp tokens.

    `<|t0|> text... <|t1|>` is a segment from t0 to t1; a timestamp right after a closing one
    opens the next segment. Ids from `eot` up to `timestamp_begin` are special tokens and are
    skipped. A segment whose closing timestamp never came ends at `None`. Returns dicts with
    `start`, `end` (seconds, rounded to 0.01) and `tokens` (the text ids).
    """
    segments: list[dict] = []
    start: float | None = None
    text: list[int] = []
    for tok in (int(t) for t in tokens):
        if tok >= timestamp_begin:
            t = round((tok - timestamp_begin) * time_step, 2)
            if start is None:
                start = t
            elif text:
                segments.append({"start": start, "end": t, "tokens": text})
                start, text = None, []
            else:  # two timestamps in a row with nothing between: the later one opens
                start = t
        elif tok < eot:
            if start is None:
                start = segments[-1]["end"] if segments else 0.0
            text.append(tok)
    if text:
        segments.append({"start": start, "end": None, "tokens": text})
    return segments
