"""Lab 02: per-clip transcription time, fp32 vs torch dynamic int8; WER; CTranslate2 if present.

    PYTHONPATH=. .venv/bin/python bench/lab02_transcribe.py [--threads N]

Features are computed once per clip (our NumPy log-mel); each clip is then decoded greedily by
the fp32 model and the int8 copy, interleaved, `REPEATS` times; the median is reported.
CTranslate2 int8 on the same model.bin runs only if the `ctranslate2` package is importable.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from labs.x2_multimodal.lab02 import decoding  # noqa: E402
from labs.x2_multimodal.lab02.audio import log_mel_spectrogram, read_wav  # noqa: E402
from labs.x2_multimodal.lab02.whisper_model import load_whisper, model_dir  # noqa: E402

CLIPS = Path(__file__).resolve().parents[1] / "labs" / "x2_multimodal" / "lab02" / "clips"
REPEATS = 3


def ct2_transcriber(threads: int):
    """CTranslate2 int8 on the same model.bin, with as many threads as torch gets (fair)."""
    try:
        import ctranslate2
    except ImportError:
        return None
    model = ctranslate2.models.Whisper(
        str(model_dir()), device="cpu", compute_type="int8", intra_threads=threads
    )

    def transcribe(features: np.ndarray, tokenizer) -> str:
        storage = ctranslate2.StorageView.from_array(features[None].astype(np.float32))
        result = model.generate(storage, [[50257, 50362]], beam_size=1)
        return tokenizer.decode(result[0].sequences_ids[0]).strip()

    return transcribe


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    bundle = load_whisper()
    print(
        f"model load: {time.perf_counter() - start:.2f} s (from cache: {bundle.from_cache}); "
        f"torch threads: {torch.get_num_threads()}"
    )
    start = time.perf_counter()
    q8 = decoding.int8_model(bundle)
    print(f"int8 quantisation: {time.perf_counter() - start:.2f} s")
    ct2 = ct2_transcriber(torch.get_num_threads())
    if ct2 is None:
        print("CTranslate2: not installed (the `ctranslate2` package is not importable), skipped")
    clips = json.loads((CLIPS / "clips.json").read_text())
    rows = []
    print(
        "| clip | fp32 (s) | int8 (s) | int8/fp32 | fp32 heard | int8 heard |"
        + (" ct2 int8 (s) |" if ct2 else "")
    )
    print("|---|---|---|---|---|---|" + ("---|" if ct2 else ""))
    for clip in clips:
        features = log_mel_spectrogram(read_wav(CLIPS / clip["file"]))
        t = {"fp32": [], "int8": [], "ct2": []}
        heard = {}
        for _ in range(REPEATS):
            for name, model in (("fp32", None), ("int8", q8)):
                heard[name], seconds = decoding.timed_transcribe(bundle, features, model=model)
                t[name].append(seconds)
            if ct2:
                s = time.perf_counter()
                heard["ct2"] = ct2(features, bundle.tokenizer)
                t["ct2"].append(time.perf_counter() - s)
        med = {k: statistics.median(v) for k, v in t.items() if v}
        rows.append({"text": clip["text"], **heard, **{f"{k}_s": v for k, v in med.items()}})
        line = (
            f"| {clip['file']} | {med['fp32']:.3f} | {med['int8']:.3f} | "
            f"{med['int8'] / med['fp32']:.2f} | {heard['fp32']} | {heard['int8']} |"
        )
        print(line + (f" {med['ct2']:.3f} |" if ct2 else ""), flush=True)
    texts = [r["text"] for r in rows]
    for name in ("fp32", "int8") + (("ct2",) if ct2 else ()):
        wer = decoding.word_error_rate(texts, [r[name] for r in rows])
        total = sum(r[f"{name}_s"] for r in rows)
        print(f"{name}: WER {wer:.3f}, mean per clip {total / len(rows):.3f} s")
    changed = [
        r["text"] for r in rows if decoding.normalise(r["fp32"]) != decoding.normalise(r["int8"])
    ]
    print(f"int8 changed {len(changed)} of {len(rows)} transcripts: {changed}")
    ratio = statistics.median(r["int8_s"] / r["fp32_s"] for r in rows)
    print(f"median int8/fp32 time ratio: {ratio:.2f} (speed-up {1 / ratio:.2f}x)")


if __name__ == "__main__":
    main()
