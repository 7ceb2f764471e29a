"""Regenerate tests/lab02/expected_tiny_en.json (only after a deliberate loader change):

PYTHONPATH=. .venv/bin/python tests/lab02/lab02_expected.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CLIP = "07-drink.wav"
EXPECTED_FILE = Path(__file__).with_name("expected_tiny_en.json")
CLIPS = Path(__file__).resolve().parents[2] / "labs" / "x2_multimodal" / "lab02" / "clips"


def first_step(bundle) -> dict:
    """Logits after the prompt [SOT, NO_TIMESTAMPS] on the fixed clip."""
    import torch

    from labs.x2_multimodal.lab02 import audio
    from labs.x2_multimodal.lab02.decoding import features_tensor
    from labs.x2_multimodal.lab02.whisper_model import NO_TIMESTAMPS, SOT

    features = audio.log_mel_spectrogram(audio.read_wav(CLIPS / CLIP))
    with torch.inference_mode():
        logits = bundle.model(
            input_features=features_tensor(features),
            decoder_input_ids=torch.tensor([[SOT, NO_TIMESTAMPS]]),
        ).logits
    last = logits[0, -1].numpy().astype(np.float64)
    top = np.argsort(-last)[:5]
    return {
        "clip": CLIP,
        "logits_0_16": last[:16].round(4).tolist(),
        "top5_ids": top.tolist(),
        "top5_logits": last[top].round(4).tolist(),
    }


def main() -> None:
    from labs.x2_multimodal.lab02 import audio, decoding
    from labs.x2_multimodal.lab02.whisper_model import load_whisper

    bundle = load_whisper()
    record = first_step(bundle)
    features = audio.log_mel_spectrogram(audio.read_wav(CLIPS / CLIP))
    record["greedy_ids"] = decoding.greedy_ids(bundle, features)
    EXPECTED_FILE.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
