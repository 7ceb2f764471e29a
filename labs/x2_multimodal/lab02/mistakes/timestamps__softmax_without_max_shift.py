"""MISTAKE: log-softmax without the max shift

task: timestamps
caught_by: test_timestamp_mass_on_known_probabilities
why: logits near 1000 overflow exp even in float64 (its limit is about exp(709)) and give nan.
hint: subtract the row max before exp.
"""

from __future__ import annotations

import numpy as np

# === task: timestamps


def _logsumexp(z, axis=-1):
    top = z.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def timestamp_mass(logits, timestamp_begin):
    z = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    logp = z - np.log(np.exp(z).sum(axis=1))[:, None]
    ts = _logsumexp(logp[:, timestamp_begin:])
    ids = logp[:, :timestamp_begin].argmax(axis=1)
    best = logp[np.arange(len(logp)), ids]
    return {
        "timestamp_logprob": ts,
        "best_text_logprob": best,
        "best_text_id": ids.astype(np.int64),
        "timestamp_wins": (ts > best).astype(np.int64),
    }
