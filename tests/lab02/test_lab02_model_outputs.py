"""What lets lab 02's graded checks skip the model: the stand-ins they use equal the real thing.

The checks compare learner code with the reference where the reference only stands in for
whisper-tiny.en or transformers (test_lab02_audio.py proves the frame numbers, the filter bank
and the log-mel; this file the checks' own constants and DTW loop), and they read the model's
outputs for the committed clips from `model_outputs` (cached .npy, checked here against a fresh
run of the model, and recomputed when damaged).
"""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from lab02_expected import CLIPS

from labs.x2_multimodal.lab02 import alignment, model_outputs

CHECKS = CLIPS.parent / "checks" / "test_lab02_dod.py"


@pytest.fixture(scope="module")
def dod(pytestconfig):
    """The lab's check module, imported as a plain module (its tests do not run here)."""
    pytestconfig.addinivalue_line("markers", "task(id): a lab task (the grading plugin's)")
    spec = importlib.util.spec_from_file_location("lab02_dod_under_test", CHECKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checks_numbers_are_the_real_models(dod, bundle):
    import torch

    fe, config = bundle.feature_extractor, bundle.model.config
    enc = bundle.model.model.encoder
    with torch.inference_mode():
        conv1 = enc.conv1(torch.zeros(1, config.num_mel_bins, fe.nb_max_frames))
        conv2 = enc.conv2(conv1)
    measured = {
        "n_fft": fe.n_fft,
        "hop_length": fe.hop_length,
        "n_samples": fe.n_samples,
        "n_frames": fe.nb_max_frames,
        "n_mels": config.num_mel_bins,
        "conv1_frames": conv1.shape[-1],
        "encoder_positions": conv2.shape[-1],
        "n_timestamp_tokens": config.vocab_size - dod.TIMESTAMP_BEGIN,
    }
    assert dod.WHISPER_TINY_EN == measured


def test_the_checks_tie_rule_is_transformers_dtw(dod):
    from transformers.models.whisper.generation_whisper import _dynamic_time_warping

    rng = np.random.default_rng(8)
    for n in range(200):
        shape = (int(rng.integers(1, 9)), int(rng.integers(1, 14)))
        cost = rng.integers(0, 3, size=shape).astype(np.float64)  # integer costs: many ties
        theirs = [np.asarray(a).astype(int).tolist() for a in _dynamic_time_warping(cost)]
        plain = list(dod._plain_dtw_path_with_whispers_tie_rule(cost))
        ours = [np.asarray(a).astype(int).tolist() for a in alignment.dtw_path(cost)]
        assert theirs == plain == ours, (n, shape)


@pytest.mark.parametrize("clip", ["00-walk.wav", "02-cook.wav"])
def test_cached_timestamp_runs_equal_a_fresh_run(clip, bundle):
    """The entries the checks read (the default cache) hold what the model computes now."""
    from labs.x2_multimodal.lab02.decoding import generate_with_timestamps

    cached = model_outputs.timestamp_run(clip)
    features = model_outputs._features(clip)
    fresh = generate_with_timestamps(bundle, features)
    assert cached["tokens"] == fresh["tokens"] and cached["segments"] == fresh["segments"]
    assert cached["logits"].dtype == np.float32
    np.testing.assert_allclose(cached["logits"], fresh["logits"], rtol=1e-5, atol=1e-4)


def test_cached_cross_attention_equals_a_fresh_run(bundle):
    from labs.x2_multimodal.lab02.decoding import greedy_ids
    from labs.x2_multimodal.lab02.whisper_model import EOT, NO_TIMESTAMPS, SOT

    clip = "07-drink.wav"
    cached = model_outputs.cross_attention(clip)
    features = model_outputs._features(clip)
    text_ids = greedy_ids(bundle, features)
    att = alignment.cross_attentions(bundle, features, [SOT, NO_TIMESTAMPS, *text_ids, EOT])
    assert cached["text_ids"] == text_ids
    assert cached["heads"] == [list(h) for h in bundle.alignment_heads]
    np.testing.assert_allclose(cached["att"], att, rtol=1e-5, atol=1e-6)


def _fake(calls: list):
    def compute():
        calls.append(1)
        return {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "ids": [1, 2], "x": 0.5}

    return compute


def test_an_entry_is_computed_once_then_read(tmp_path):
    calls: list = []
    first = model_outputs.cached("demo", "00-walk.wav", _fake(calls), cache=tmp_path)
    again = model_outputs.cached("demo", "00-walk.wav", _fake(calls), cache=tmp_path)
    assert len(calls) == 1
    for got in (first, again):
        np.testing.assert_array_equal(got["a"], np.arange(6).reshape(2, 3))
        assert got["ids"] == [1, 2] and got["x"] == 0.5
    folder = model_outputs.entry_dir("demo", "00-walk.wav", tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    assert set(meta["arrays"]) == {"a"} and meta["values"] == {"ids": [1, 2], "x": 0.5}
    # another clip, another entry
    model_outputs.cached("demo", "02-cook.wav", _fake(calls), cache=tmp_path)
    assert len(calls) == 2


@pytest.mark.parametrize("damage", ["edited", "truncated", "missing", "no meta"])
def test_a_damaged_entry_is_recomputed_not_used(tmp_path, damage):
    calls: list = []
    model_outputs.cached("demo", "00-walk.wav", _fake(calls), cache=tmp_path)
    folder = model_outputs.entry_dir("demo", "00-walk.wav", tmp_path)
    array = folder / "a.npy"
    if damage == "edited":  # same size, other numbers
        data = bytearray(array.read_bytes())
        data[-1] ^= 0xFF
        array.write_bytes(bytes(data))
    elif damage == "truncated":
        array.write_bytes(array.read_bytes()[:-8])
    elif damage == "missing":
        array.unlink()
    else:
        (folder / "meta.json").unlink()
    got = model_outputs.cached("demo", "00-walk.wav", _fake(calls), cache=tmp_path)
    assert len(calls) == 2
    np.testing.assert_array_equal(got["a"], np.arange(6).reshape(2, 3))
    assert model_outputs._read(folder) is not None, "the entry was rewritten whole"


def test_the_key_follows_the_clip_and_the_versions(monkeypatch):
    walk = model_outputs.entry_key("timestamps", "00-walk.wav")
    assert walk == model_outputs.entry_key("timestamps", "00-walk.wav")
    assert walk != model_outputs.entry_key("timestamps", "02-cook.wav")
    assert walk != model_outputs.entry_key("cross_attention", "00-walk.wav")
    monkeypatch.setattr(model_outputs, "OUTPUTS_VERSION", model_outputs.OUTPUTS_VERSION + 1)
    assert walk != model_outputs.entry_key("timestamps", "00-walk.wav")


def test_reading_a_cached_entry_imports_neither_torch_nor_transformers(tmp_path):
    code = (
        "import sys, numpy as np; from pathlib import Path; "
        "from labs.x2_multimodal.lab02 import model_outputs as m; "
        f"cache = Path({str(tmp_path)!r}); "
        "m.cached('demo', '00-walk.wav', lambda: {'a': np.zeros(3)}, cache=cache); "
        "got = m.cached('demo', '00-walk.wav', lambda: 1 / 0, cache=cache); "
        "print(sorted(k for k in ('torch', 'transformers') if k in sys.modules), got['a'].sum())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=CLIPS.parents[3],
        check=True,
    )
    assert out.stdout.strip() == "[] 0.0", out.stdout + out.stderr
