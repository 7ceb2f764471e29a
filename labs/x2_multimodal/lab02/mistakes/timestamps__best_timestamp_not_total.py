"""MISTAKE: the best timestamp token instead of their total

task: timestamps
caught_by: test_timestamp_mass_on_known_probabilities
why: Whisper's rule compares the *summed* probability of all timestamp tokens with the best text
  token.
hint: log-sum-exp over the timestamp ids.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab02.mistakes.alt_explicit_stft import *  # noqa: F403 (base)

# === task: timestamps


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
