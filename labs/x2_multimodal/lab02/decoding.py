"""Greedy transcription, timestamp logits and int8 quantisation of whisper-tiny.en.

The model comes from `whisper_model.load_whisper()`; features come from our own NumPy
log-mel (`audio.log_mel_spectrogram`), so the whole path from WAV to text is ours except
the Transformer itself.

Two decoders give the same token ids: `fast_decode` (a static KV cache over the model's
modules; the default for plain transcription) and transformers' `generate` (kept for what
lab 02 inspects: timestamps with transformers' own segments, and as the oracle in tests).
"""

from __future__ import annotations

import copy
import re
import time
import warnings
from pathlib import Path

import numpy as np

from labs.x2_multimodal.lab02 import audio as audio_mod
from labs.x2_multimodal.lab02.whisper_model import EOT, TIMESTAMP_BEGIN, WhisperBundle

MAX_NEW_TOKENS = 96


def features_tensor(features: np.ndarray):
    import torch

    features = np.asarray(features, dtype=np.float32)
    if features.ndim == 2:
        features = features[None]  # (1, M, T)
    if features.shape[1:] != (80, 3000):
        raise ValueError(f"features: expected (80, 3000) log-mel, got {features.shape[1:]}")
    return torch.from_numpy(np.ascontiguousarray(features))


def load_audio(source) -> np.ndarray:
    """A path to a WAV file, or a 16 kHz mono float array."""
    if isinstance(source, (str, Path)):
        return audio_mod.read_wav(source)
    return np.asarray(source, dtype=np.float32).reshape(-1)


def _generate(
    bundle: WhisperBundle,
    features: np.ndarray,
    model=None,
    call_kwargs: dict | None = None,
    **overrides,
):
    """`model.generate` with a per-call copy of the generation config (no shared mutation)."""
    import torch

    config = copy.deepcopy(bundle.generation_config)
    config.update(**overrides)
    model = bundle.model if model is None else model
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.generate(
            features_tensor(features), generation_config=config, **(call_kwargs or {})
        )


ENGINES = ("fast", "generate")


def greedy_ids(
    bundle: WhisperBundle,
    features: np.ndarray,
    model=None,
    max_new_tokens: int = MAX_NEW_TOKENS,
    engine: str = "fast",
) -> list[int]:
    """Greedy decoding (one beam, no sampling) of one 30 s window; text token ids only.

    `engine="fast"` runs `fast_decode`; `"generate"` runs transformers' `generate`. Both
    make the same choices (tests/lab02 checks every committed clip, fp32 and int8).
    """
    if engine == "fast":
        from labs.x2_multimodal.lab02 import fast_decode

        ids = fast_decode.greedy_ids(bundle, features, model, max_new_tokens=max_new_tokens)
    elif engine == "generate":
        ids = _generate(bundle, features, model, max_new_tokens=max_new_tokens)[0].tolist()
    else:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    return [int(t) for t in ids if int(t) < EOT]


def transcribe(bundle: WhisperBundle, source, model=None, engine: str = "fast") -> str:
    features = audio_mod.log_mel_spectrogram(load_audio(source))
    ids = greedy_ids(bundle, features, model=model, engine=engine)
    return bundle.tokenizer.decode(ids, skip_special_tokens=True).strip()


def normalise(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes kept), single spaces: WER compares words."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    import jiwer

    return float(jiwer.wer([normalise(r) for r in references], [normalise(h) for h in hypotheses]))


# --- timestamps ------------------------------------------------------------------------------


def generate_with_timestamps(
    bundle: WhisperBundle, features: np.ndarray, max_new_tokens: int = MAX_NEW_TOKENS
) -> dict:
    """Greedy decoding with timestamp tokens on, plus the raw logits of every step.

    Returns `tokens` (the generated ids, timestamps included, EOT last), `segments`
    (transformers' own split, to compare ours with) and `logits` (len(tokens), vocab):
    row i is what the network predicted for tokens[i], *before* the logit processors
    (suppression, timestamp rules) touched it. The logits come from one teacher-forced
    forward pass over [SOT] + tokens.
    """
    import torch

    from labs.x2_multimodal.lab02.whisper_model import SOT

    out = _generate(
        bundle,
        features,
        max_new_tokens=max_new_tokens,
        call_kwargs={"return_timestamps": True, "return_segments": True},
    )
    tokens = [int(t) for t in out["sequences"][0]]
    if not tokens or tokens[-1] != EOT:
        tokens.append(EOT)
    segments = [
        {
            "start": round(float(s["start"]), 2),
            "end": round(float(s["end"]), 2),
            "tokens": [int(t) for t in s["tokens"] if int(t) < EOT],
        }
        for s in out["segments"][0]
    ]
    with torch.inference_mode():
        logits = bundle.model(
            input_features=features_tensor(features),
            decoder_input_ids=torch.tensor([[SOT] + tokens[:-1]]),
            use_cache=False,
        ).logits
    return {"tokens": tokens, "segments": segments, "logits": logits[0].float().numpy()}


# --- int8 ------------------------------------------------------------------------------------


def int8_model(bundle: WhisperBundle):
    """A copy of the model whose Linear layers run in int8 (torch dynamic quantisation).

    Weights are quantised once per output row range; activations per call. Convolutions,
    LayerNorms and embeddings stay float32.
    """
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(bundle.model), {torch.nn.Linear}, dtype=torch.qint8)


def timed_transcribe(
    bundle: WhisperBundle, features: np.ndarray, model=None, engine: str = "fast"
) -> tuple[str, float]:
    start = time.perf_counter()
    ids = greedy_ids(bundle, features, model=model, engine=engine)
    elapsed = time.perf_counter() - start
    return bundle.tokenizer.decode(ids, skip_special_tokens=True).strip(), elapsed


__all__ = [
    "TIMESTAMP_BEGIN",
    "transcribe",
    "greedy_ids",
    "generate_with_timestamps",
    "int8_model",
    "word_error_rate",
    "normalise",
    "timed_transcribe",
]
