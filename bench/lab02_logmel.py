"""Lab 02: our NumPy log-mel vs transformers' WhisperFeatureExtractor (its torch path).

    PYTHONPATH=. .venv/bin/python bench/lab02_logmel.py

Each case is timed interleaved (ours, theirs, ours, ...) so load on a shared machine hits both
alike; the ratio is median(ours) / median(theirs). Also prints the max abs difference.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from labs.x2_multimodal.lab02.audio import log_mel_spectrogram, read_wav  # noqa: E402
from labs.x2_multimodal.lab02.whisper_model import build_feature_extractor  # noqa: E402

CLIPS = Path(__file__).resolve().parents[1] / "labs" / "x2_multimodal" / "lab02" / "clips"
REPEATS = 15


def bench(x: np.ndarray, fe) -> dict:
    def ours():
        return log_mel_spectrogram(x)

    def theirs():
        return fe(x, sampling_rate=16_000, return_tensors="np").input_features[0]

    diff = float(np.abs(ours() - theirs()).max())
    times = {"ours": [], "theirs": []}
    for _ in range(REPEATS):
        for name, fn in (("ours", ours), ("theirs", theirs)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    ours_ms = statistics.median(times["ours"]) * 1000
    theirs_ms = statistics.median(times["theirs"]) * 1000
    return {
        "ours_ms": round(ours_ms, 2),
        "theirs_ms": round(theirs_ms, 2),
        "ratio": round(ours_ms / theirs_ms, 2),
        "max_abs_diff": diff,
    }


def main() -> None:
    import torch

    fe = build_feature_extractor()
    rng = np.random.default_rng(0)
    cases = {
        f"clip {c['file']}": read_wav(CLIPS / c["file"])
        for c in json.loads((CLIPS / "clips.json").read_text())[:3]
    }
    cases["30 s of noise (no silent padding)"] = (rng.standard_normal(480_000) * 0.1).astype(
        np.float32
    )
    print(f"torch threads: {torch.get_num_threads()}, repeats: {REPEATS} (interleaved)")
    print("| input | ours (ms) | feature extractor (ms) | ratio | max abs diff |")
    print("|---|---|---|---|---|")
    for name, x in cases.items():
        r = bench(x, fe)
        print(
            f"| {name} | {r['ours_ms']} | {r['theirs_ms']} | {r['ratio']} | "
            f"{r['max_abs_diff']:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
