"""Lab 02's experiment: transcribe the clips through *your* front end, align, read timestamps.

`run(out_dir, seed, entry, progress)` uses the entry module's task functions (the reference or
a learner's `whisper_lab.py`) for everything the learner wrote: log-mel features, the
alignment reduction and DTW, timestamp reading. whisper-tiny.en itself is the real model
(loaded offline by `whisper_model.load_whisper`). Outputs in `out_dir`:

    transcripts.json   per clip: text, heard, per-clip seconds
    alignment.png      heatmap of the averaged alignment heads with the DTW path
    alignment.txt      the same as characters, plus token start/end times
    timestamps.json    per decoding step: timestamp mass vs best text token; segments
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

CLIPS_DIR = Path(__file__).resolve().parent / "clips"


def _clips() -> list[dict]:
    return json.loads((CLIPS_DIR / "clips.json").read_text(encoding="utf-8"))


def run(out_dir: Path, seed: int, entry: ModuleType, progress: Callable[[dict], None]) -> dict:
    """Returns metrics: wer, exact transcripts, word times and segments of the aligned clip,
    and (nested, not compared by `harness reproduce`) wall times."""
    from labs.x2_multimodal.lab02 import alignment, decoding
    from labs.x2_multimodal.lab02.audio import read_wav
    from labs.x2_multimodal.lab02.whisper_model import (
        EOT,
        NO_TIMESTAMPS,
        SOT,
        TIMESTAMP_BEGIN,
        load_whisper,
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    bundle = load_whisper()
    load_s = time.perf_counter() - start
    clips = _clips()

    rows = []
    for i, clip in enumerate(clips):
        x = read_wav(CLIPS_DIR / clip["file"])
        features = np.asarray(entry.log_mel_spectrogram(x), dtype=np.float32)
        heard, seconds = decoding.timed_transcribe(bundle, features)
        rows.append(
            {
                "file": clip["file"],
                "text": clip["text"],
                "heard": heard,
                "seconds": round(seconds, 3),
                "exact": decoding.normalise(heard) == decoding.normalise(clip["text"]),
            }
        )
        progress(
            {
                "clip": i + 1,
                "of": len(clips),
                "file": clip["file"],
                "heard": heard,
                "seconds": seconds,
            }
        )
    wer = decoding.word_error_rate([r["text"] for r in rows], [r["heard"] for r in rows])
    (out_dir / "transcripts.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")

    # One clip, chosen by the seed, for the alignment and timestamp views.
    clip = clips[seed % len(clips)]
    x = read_wav(CLIPS_DIR / clip["file"])
    features = np.asarray(entry.log_mel_spectrogram(x), dtype=np.float32)
    text_ids = decoding.greedy_ids(bundle, features)
    tokens = [SOT, NO_TIMESTAMPS, *text_ids, EOT]
    att = alignment.cross_attentions(bundle, features, tokens)
    n_positions = int(np.ceil(x.size / 160 / 2))
    heads = [list(h) for h in bundle.alignment_heads]
    matrix = np.asarray(entry.alignment_matrix(att, heads, n_positions, 7))[2:]  # text + EOT
    rows_idx, cols_idx = (np.asarray(a) for a in entry.dtw_path(-matrix))
    path = np.stack([rows_idx, cols_idx], axis=1)
    labels = [bundle.tokenizer.decode([t]) for t in text_ids] + ["<|endoftext|>"]
    starts = [float(cols_idx[np.argmax(rows_idx == r)]) * 0.02 for r in range(len(labels))]
    words = [
        {"text": labels[k], "start": round(starts[k], 2), "end": round(starts[k + 1], 2)}
        for k in range(len(text_ids))
    ]
    alignment.save_heatmap(
        matrix,
        labels,
        out_dir / "alignment.png",
        path=path,
        title=f"{clip['file']}: {clip['text']}",
    )
    view = alignment.text_heatmap(matrix, labels, path=path)
    times = "\n".join(f"{w['start']:5.2f}-{w['end']:5.2f} s {w['text']!r}" for w in words)
    (out_dir / "alignment.txt").write_text(f"{view}\n\n{times}\n", encoding="utf-8")
    progress({"aligned": clip["file"], "tokens": len(text_ids)})

    run_ts = decoding.generate_with_timestamps(bundle, features)
    mass = entry.timestamp_mass(run_ts["logits"], TIMESTAMP_BEGIN)
    segments = entry.segments_from_tokens(run_ts["tokens"], TIMESTAMP_BEGIN, EOT, 0.02)

    def piece(t: int) -> str:
        # tokenizer.json has no timestamp tokens; name them from the id (0.02 s apart).
        if t >= TIMESTAMP_BEGIN:
            return f"<|{(t - TIMESTAMP_BEGIN) * 0.02:.2f}|>"
        return bundle.tokenizer.decode([t])

    steps = [
        {
            "token": int(t),
            "piece": piece(int(t)),
            "p_timestamps": float(np.exp(mass["timestamp_logprob"][k])),
            "p_best_text": float(np.exp(mass["best_text_logprob"][k])),
            "timestamp_wins": int(mass["timestamp_wins"][k]),
        }
        for k, t in enumerate(run_ts["tokens"])
    ]
    (out_dir / "timestamps.json").write_text(
        json.dumps(
            {
                "clip": clip["file"],
                "steps": steps,
                "segments": [{**s, "text": bundle.tokenizer.decode(s["tokens"])} for s in segments],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )

    seconds = [r["seconds"] for r in rows]
    return {
        "wer": round(wer, 4),
        "clips": len(rows),
        "exact_transcripts": sum(r["exact"] for r in rows),
        # Wall times vary with machine load; nested so `harness reproduce` does not compare them.
        "timing_s": {
            "mean_transcribe": round(float(np.mean(seconds)), 3),
            "total_transcribe": round(float(np.sum(seconds)), 3),
            "model_load": round(load_s, 2),
        },
        "aligned_clip": clip["file"],
        "word_times": words,
        "segments": len(segments),
    }
