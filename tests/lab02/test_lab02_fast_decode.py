"""The static-cache greedy decoder makes `generate`'s choices: same ids on every committed clip."""

import json
from pathlib import Path

import numpy as np
import pytest
from lab02_expected import CLIPS

from labs.x2_multimodal.lab02 import audio, decoding, fast_decode
from labs.x2_multimodal.lab02.whisper_model import EOT, SOT, TIMESTAMP_BEGIN


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on this shared 2-core machine a second thread mostly waits for a core
    (the int8 comparison took 12 s with one thread, 158 s with two under load)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def features(clips):
    return {c["file"]: audio.log_mel_spectrogram(audio.read_wav(CLIPS / c["file"])) for c in clips}


@pytest.fixture(scope="module")
def int8(bundle):
    return decoding.int8_model(bundle)


# --- pieces, without the model ------------------------------------------------------------------


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("start", [0, 5, 133, 2990, 3000])
def test_conv_over_a_constant_tail_equals_the_full_convolution(stride, start):
    import torch

    torch.manual_seed(stride)
    conv = torch.nn.Conv1d(8, 6, kernel_size=3, stride=stride, padding=1)
    x = torch.randn(1, 8, 3000)
    if start < 3000:
        x[..., start:-1] = torch.randn(8, 1)  # columns start..T-2 equal
        x[..., -1] = torch.randn(8)  # the last column may differ (it does after conv1)
    with torch.no_grad():
        full = conv(x)
        ours = fast_decode.conv1d_constant_tail(conv, x, start)
    assert ours.shape == full.shape
    torch.testing.assert_close(ours, full, rtol=1e-5, atol=1e-5)


def test_constant_tail_start_finds_the_padding():
    import torch

    x = torch.zeros(1, 3, 10)
    x[0, :, :4] = torch.arange(12.0).reshape(3, 4)
    assert fast_decode.constant_tail_start(x) == 4
    assert fast_decode.constant_tail_start(torch.zeros(1, 3, 10)) == 0


def test_screened_argmax_is_the_full_fp32_argmax():
    import torch

    rng = torch.Generator().manual_seed(0)
    weight = torch.randn(5000, 64, generator=rng) * 0.05
    weight[7] = weight[3]  # an exact tie: the first index must win, as in torch.argmax
    screen = fast_decode.ScreenedArgmax(weight)
    for trial in range(200):
        h = torch.randn(64, generator=rng) * (1 + 20 * (trial % 3))
        if trial == 0:
            h = weight[3] * 100
        allowed = torch.rand(5000, generator=rng) > 0.05
        allowed[3] = allowed[7] = True
        logits = h @ weight.T
        expected = int(torch.where(allowed, logits, -torch.inf).argmax())
        assert screen.argmax(h, allowed) == expected
    assert screen.candidates[0] >= 2  # the tie survived the screening
    assert np.median(screen.candidates) < 100, "the bound should prune most rows"


def test_timestamp_state_masks_as_the_transformers_processor():
    import torch
    from transformers import GenerationConfig
    from transformers.generation.logits_process import WhisperTimeStampLogitsProcessor

    from labs.x2_multimodal.lab02.whisper_model import NO_TIMESTAMPS

    config = GenerationConfig(
        eos_token_id=EOT, no_timestamps_token_id=NO_TIMESTAMPS, max_initial_timestamp_index=50
    )
    theirs = WhisperTimeStampLogitsProcessor(config, begin_index=1)
    rules = fast_decode.DecodeRules(suppress=(), begin_suppress=())
    vocab = TIMESTAMP_BEGIN + 1501
    rng = torch.Generator().manual_seed(1)
    for sequence in range(12):
        ours = fast_decode.TimestampState(rules)
        ids = [SOT]
        for _ in range(20):
            # Logits that make timestamps, text and EOT all plausible.
            scores = torch.randn(vocab, generator=rng) * 3
            scores[TIMESTAMP_BEGIN:] += float(torch.randn(1, generator=rng)) * 4 - 6
            expected = theirs(torch.tensor([ids]), scores[None].clone())[0]
            got = scores.clone()
            ours.apply(got)
            assert torch.equal(got, expected), (sequence, ids)
            token = int(expected.argmax())
            if token == EOT:
                break
            ids.append(token)
            ours.push(token)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine 'beam'; known: fast, generate"):
        decoding.greedy_ids(None, np.zeros((80, 3000), np.float32), engine="beam")


# --- the real model on every committed clip -----------------------------------------------------
#
# `generate` is the slow side of each comparison, so its ids on all 12 clips are recorded in
# expected_generate_ids.json (python tests/lab02/test_lab02_fast_decode.py rewrites it, one
# torch thread) and compared with `generate` live on one clip per mode, which catches a
# transformers or torch upgrade that changes its choices.

EXPECTED = Path(__file__).with_name("expected_generate_ids.json")
LIVE_CLIP = "07-drink.wav"


def generate_ids(bundle, f, mode: str, int8=None) -> list[int]:
    """What `generate` returns today, in the fast decoder's convention (EOT kept at the end)."""
    if mode == "timestamps":
        out = decoding._generate(
            bundle,
            f,
            max_new_tokens=decoding.MAX_NEW_TOKENS,
            call_kwargs={"return_timestamps": True, "return_segments": True},
        )
        return [int(t) for t in out["sequences"][0] if int(t) != EOT] + [EOT]
    model = int8 if mode == "int8" else None
    return decoding.greedy_ids(bundle, f, model=model, engine="generate")


def fast_ids(bundle, f, mode: str, int8=None) -> list[int]:
    if mode == "timestamps":
        return fast_decode.greedy_ids(bundle, f, timestamps=True)
    return decoding.greedy_ids(bundle, f, model=int8 if mode == "int8" else None)


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_fp32_ids_and_transcripts_match_generate_on_every_clip(bundle, clips, features, expected):
    for clip in clips:
        ours = fast_ids(bundle, features[clip["file"]], "fp32")
        assert ours == expected["fp32"][clip["file"]], clip["file"]
        heard = bundle.tokenizer.decode(ours, skip_special_tokens=True).strip()
        assert decoding.normalise(heard) == decoding.normalise(clip["text"]), clip["file"]


@pytest.mark.slow
def test_int8_ids_match_generate_int8_on_every_clip(bundle, clips, features, int8, expected):
    for clip in clips:
        ours = fast_ids(bundle, features[clip["file"]], "int8", int8)
        assert ours == expected["int8"][clip["file"]], clip["file"]


@pytest.mark.slow
def test_timestamp_tokens_match_generate_on_every_clip(bundle, clips, features, expected):
    for clip in clips:
        ours = fast_ids(bundle, features[clip["file"]], "timestamps")
        assert ours[0] == TIMESTAMP_BEGIN and ours[-1] == EOT
        assert ours == expected["timestamps"][clip["file"]], clip["file"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fp32", "int8", "timestamps"])
def test_the_recorded_ids_are_still_what_generate_returns(bundle, features, int8, expected, mode):
    f = features[LIVE_CLIP]
    assert generate_ids(bundle, f, mode, int8) == expected[mode][LIVE_CLIP]
    assert fast_ids(bundle, f, mode, int8) == expected[mode][LIVE_CLIP]


@pytest.mark.slow
def test_the_screened_projection_kept_few_candidates(bundle, features):
    fast = fast_decode.FastWhisper.for_model(bundle.model, bundle.generation_config)
    fast.screen().candidates.clear()
    fast_decode.greedy_ids(bundle, features["07-drink.wav"])
    assert fast.screened.candidates and max(fast.screened.candidates) < 1000


def record() -> None:
    """Rewrite expected_generate_ids.json from `generate` (one thread, as the tests run)."""
    import torch

    from labs.x2_multimodal.lab02.whisper_model import load_whisper

    torch.set_num_threads(1)
    bundle = load_whisper()
    int8 = decoding.int8_model(bundle)
    clips = json.loads((CLIPS / "clips.json").read_text(encoding="utf-8"))
    record = {mode: {} for mode in ("fp32", "int8", "timestamps")}
    for clip in clips:
        f = audio.log_mel_spectrogram(audio.read_wav(CLIPS / clip["file"]))
        for mode in record:
            record[mode][clip["file"]] = generate_ids(bundle, f, mode, int8)
    modes = [
        f' "{mode}": {{\n'
        + ",\n".join(f'  "{name}": {json.dumps(ids)}' for name, ids in per_clip.items())
        + "\n }"
        for mode, per_clip in record.items()
    ]
    EXPECTED.write_text("{\n" + ",\n".join(modes) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    record()
