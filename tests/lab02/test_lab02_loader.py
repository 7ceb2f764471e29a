"""The CTranslate2 -> Hugging Face loader: format, mapping, cache, outputs."""

import json

import numpy as np
import pytest
from lab02_expected import CLIPS, EXPECTED_FILE, first_step

from labs.x2_multimodal.lab02 import ct2, whisper_model


@pytest.fixture(scope="module")
def ct2_model():
    return ct2.read_ct2(whisper_model.model_dir() / "model.bin")


def test_header_variables_and_alias(ct2_model):
    assert (ct2_model.binary_version, ct2_model.spec, ct2_model.revision) == (6, "WhisperSpec", 3)
    assert len(ct2_model.variables) == 148
    assert ct2_model.aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    assert ct2_model.get("decoder/embeddings/weight").dtype == np.float16
    # Scalar settings are rank-0 variables.
    assert ct2_model.scalar("decoder/num_heads") == 6
    assert ct2_model.scalar("encoder/num_heads") == 6
    assert ct2_model.scalar("decoder/activation") == whisper_model.CT2_GELU


def test_fused_projections_and_zero_key_bias(ct2_model):
    qkv = ct2_model.get("encoder/layer_0/self_attention/linear_0/weight")
    kv = ct2_model.get("decoder/layer_0/attention/linear_1/weight")
    assert qkv.shape == (1152, 384) and kv.shape == (768, 384)
    for i in range(4):
        b = ct2_model.get(f"decoder/layer_{i}/self_attention/linear_0/bias")
        assert not np.any(b[384:768]), "Whisper has no key bias: CT2 stores zeros"
        b = ct2_model.get(f"decoder/layer_{i}/attention/linear_1/bias")
        assert not np.any(b[:384])


def test_truncated_file_is_a_clear_error(tmp_path):
    src = (whisper_model.model_dir() / "model.bin").read_bytes()
    bad = tmp_path / "model.bin"
    bad.write_bytes(src[:5000])
    with pytest.raises(ct2.Ct2FormatError, match="runs past the end|truncated"):
        ct2.read_ct2(bad)


def test_state_dict_covers_the_hf_model_exactly(ct2_model):
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(**whisper_model.whisper_config_dict(ct2_model))
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    ours = whisper_model.hf_state_dict(ct2_model)
    theirs = model.state_dict()
    assert set(ours) == set(theirs)
    for key, value in ours.items():
        assert tuple(value.shape) == tuple(theirs[key].shape), key


def test_bundle_is_tied_strict_and_configured(bundle):
    model = bundle.model
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    assert model.config._attn_implementation == "sdpa"
    config_json = json.loads((whisper_model.model_dir() / "config.json").read_text())
    assert [list(h) for h in bundle.alignment_heads] == config_json["alignment_heads"]
    assert bundle.generation_config.suppress_tokens == config_json["suppress_ids"]
    assert bundle.generation_config.no_timestamps_token_id == whisper_model.NO_TIMESTAMPS
    tok = bundle.tokenizer
    assert tok.convert_tokens_to_ids("<|notimestamps|>") == whisper_model.NO_TIMESTAMPS
    assert tok.convert_tokens_to_ids("<|startoftranscript|>") == whisper_model.SOT
    # 1501 timestamp tokens follow the specials: <|0.00|> .. <|30.00|>.
    assert model.config.vocab_size - whisper_model.TIMESTAMP_BEGIN == 1501


def test_cache_is_written_then_reused(tmp_path):
    source = whisper_model.model_dir()
    first, path, from_cache = whisper_model.converted_state_dict(source, tmp_path)
    assert not from_cache and path.is_file() and path.parent == tmp_path
    second, path2, from_cache2 = whisper_model.converted_state_dict(source, tmp_path)
    assert from_cache2 and path2 == path
    assert set(first) == set(second)
    for key in ("model.encoder.conv1.weight", "model.decoder.layers.3.encoder_attn.v_proj.bias"):
        assert np.array_equal(first[key].numpy(), second[key].numpy())


def test_cache_dir_is_configurable(monkeypatch, tmp_path):
    monkeypatch.setenv(whisper_model.CACHE_ENV, str(tmp_path / "c"))
    assert whisper_model.cache_dir() == tmp_path / "c"


def test_logits_match_stored_expectation(bundle):
    expected = json.loads(EXPECTED_FILE.read_text())
    got = first_step(bundle)
    assert got["top5_ids"] == expected["top5_ids"]
    np.testing.assert_allclose(got["logits_0_16"], expected["logits_0_16"], atol=2e-3)
    np.testing.assert_allclose(got["top5_logits"], expected["top5_logits"], atol=2e-3)


def test_greedy_ids_match_stored_expectation(bundle):
    from labs.x2_multimodal.lab02 import audio, decoding

    expected = json.loads(EXPECTED_FILE.read_text())
    features = audio.log_mel_spectrogram(audio.read_wav(CLIPS / expected["clip"]))
    assert decoding.greedy_ids(bundle, features) == expected["greedy_ids"]
