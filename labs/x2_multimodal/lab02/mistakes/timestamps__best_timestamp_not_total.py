"""MISTAKE: the best timestamp token instead of their total

task: timestamps
caught_by: test_timestamp_mass_on_known_probabilities
why: Whisper's rule compares the *summed* probability of all timestamp tokens with the best text
  token.
hint: log-sum-exp over the timestamp ids.
"""

from __future__ import annotations

import numpy as np

# === task: timestamps


def _logsumexp(z, axis=-1):
    top = z.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def timestamp_mass(logits, timestamp_begin):
    z = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    logp = z - _logsumexp(z)[:, None]
    ts = logp[:, timestamp_begin:].max(axis=1)
    ids = logp[:, :timestamp_begin].argmax(axis=1)
    best = logp[np.arange(len(logp)), ids]
    return {
        "timestamp_logprob": ts,
        "best_text_logprob": best,
        "best_text_id": ids.astype(np.int64),
        "timestamp_wins": (ts > best).astype(np.int64),
    }
