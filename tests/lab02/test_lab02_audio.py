"""Front end: frame arithmetic against the real model, NumPy log-mel, WAV reading."""

import wave

import numpy as np
import pytest

from labs.x2_multimodal.lab02 import audio


def test_frame_arithmetic_numbers():
    fa = audio.frame_arithmetic()
    assert (fa["n_fft"], fa["hop_length"]) == (400, 160)  # 25 ms, 10 ms at 16 kHz
    assert fa["n_samples"] == 480_000 and fa["n_frames"] == 3000
    assert fa["conv1_frames"] == 3000 and fa["encoder_positions"] == 1500
    assert fa["seconds_per_position"] == pytest.approx(0.02)
    assert fa["n_timestamp_tokens"] == 1501


def test_frame_arithmetic_matches_the_real_model(bundle):
    import torch

    fa = audio.frame_arithmetic()
    fe = bundle.feature_extractor
    assert (fe.n_fft, fe.hop_length, fe.n_samples, fe.nb_max_frames) == (
        fa["n_fft"],
        fa["hop_length"],
        fa["n_samples"],
        fa["n_frames"],
    )
    enc = bundle.model.model.encoder
    x = torch.zeros(1, fa["n_mels"], fa["n_frames"])
    with torch.inference_mode():
        after_conv1 = enc.conv1(x)
        after_conv2 = enc.conv2(torch.nn.functional.gelu(after_conv1))
    assert after_conv1.shape[-1] == fa["conv1_frames"]
    assert after_conv2.shape[-1] == fa["encoder_positions"]
    assert enc.embed_positions.weight.shape[0] == fa["encoder_positions"]
    assert bundle.model.config.num_mel_bins == fa["n_mels"]
    timestamps = bundle.model.config.vocab_size - 50363
    assert timestamps == fa["n_timestamp_tokens"]
    assert 30.0 / (timestamps - 1) == pytest.approx(fa["timestamp_step_s"])


def test_mel_filters_match_transformers():
    from transformers.audio_utils import mel_filter_bank

    for sr, n_fft, n_mels in [(16_000, 400, 80), (8_000, 256, 40), (16_000, 400, 128)]:
        theirs = mel_filter_bank(
            num_frequency_bins=n_fft // 2 + 1,
            num_mel_filters=n_mels,
            min_frequency=0.0,
            max_frequency=sr / 2,
            sampling_rate=sr,
            norm="slaney",
            mel_scale="slaney",
        )
        np.testing.assert_allclose(audio.mel_filters(sr, n_fft, n_mels), theirs.T, atol=1e-7)


@pytest.mark.parametrize("kind", ["noise", "tone", "silence", "short", "long", "clip"])
def test_log_mel_matches_feature_extractor(bundle, kind, clips):
    from lab02_expected import CLIPS

    rng = np.random.default_rng(3)
    x = {
        "noise": lambda: rng.standard_normal(16_000 * 4) * 0.1,
        "tone": lambda: 0.5 * np.sin(2 * np.pi * 440 * np.arange(32_000) / 16_000),
        "silence": lambda: np.zeros(8000),
        "short": lambda: rng.standard_normal(10) * 0.3,
        "long": lambda: rng.standard_normal(16_000 * 31) * 0.05,
        "clip": lambda: audio.read_wav(CLIPS / clips[0]["file"]),
    }[kind]().astype(np.float32)
    theirs = bundle.feature_extractor(x, sampling_rate=16_000, return_tensors="np").input_features[
        0
    ]
    ours = audio.log_mel_spectrogram(x)
    assert ours.shape == theirs.shape == (80, 3000) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def _write(path, frames: bytes, width: int, rate: int, channels: int = 1):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)


def test_read_wav_widths_channels_and_rates(tmp_path):
    t = np.arange(44_100) / 44_100
    tone = 0.5 * np.sin(2 * np.pi * 300 * t)
    pcm16 = (tone * 32767).astype("<i2")
    _write(tmp_path / "a.wav", np.stack([pcm16, pcm16], 1).tobytes(), 2, 44_100, channels=2)
    x = audio.read_wav(tmp_path / "a.wav")
    assert x.dtype == np.float32 and x.shape == (16_000,)
    expected = 0.5 * np.sin(2 * np.pi * 300 * np.arange(16_000) / 16_000)
    assert np.abs(x[100:-100] - expected[100:-100]).max() < 2e-3  # edges ring a little
    pcm8 = np.round(tone[:16_000] * 127 + 128).astype(np.uint8)
    _write(tmp_path / "b.wav", pcm8.tobytes(), 1, 16_000)
    np.testing.assert_allclose(audio.read_wav(tmp_path / "b.wav"), tone[:16_000], atol=1e-2)
    pcm24 = np.round(tone[:16_000] * (2**23 - 1)).astype("<i4")
    raw24 = np.stack([(pcm24 >> s) & 0xFF for s in (0, 8, 16)], 1).astype(np.uint8)
    _write(tmp_path / "c.wav", raw24.tobytes(), 3, 16_000)
    np.testing.assert_allclose(audio.read_wav(tmp_path / "c.wav"), tone[:16_000], atol=1e-6)


def test_unsupported_files_say_what_to_do(tmp_path):
    bad = tmp_path / "song.mp3"
    bad.write_bytes(b"ID3\x03\x00" + b"\x00" * 100)
    with pytest.raises(audio.AudioFormatError, match="song.mp3.*ffmpeg"):
        audio.read_wav(bad)
    with pytest.raises(FileNotFoundError, match="no audio file"):
        audio.read_wav(tmp_path / "missing.wav")
    # IEEE-float WAV (format tag 3): the stdlib reader refuses it; so do we, clearly.
    data = np.zeros(100, "<f4").tobytes()
    header = (
        b"RIFF"
        + (36 + len(data)).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + (3).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + (16_000).to_bytes(4, "little")
        + (64_000).to_bytes(4, "little")
        + (4).to_bytes(2, "little")
        + (32).to_bytes(2, "little")
        + b"data"
        + len(data).to_bytes(4, "little")
    )
    (tmp_path / "float.wav").write_bytes(header + data)
    with pytest.raises(audio.AudioFormatError, match="integer PCM"):
        audio.read_wav(tmp_path / "float.wav")


def test_committed_clips_are_small_16k_mono_pcm16(clips):
    from lab02_expected import CLIPS

    assert 8 <= len(clips) <= 12
    for clip in clips:
        with wave.open(str(CLIPS / clip["file"]), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16_000)
            assert w.getnframes() < 16_000 * 5
