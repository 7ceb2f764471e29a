import json
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from lab02_expected import CLIPS  # noqa: E402


@pytest.fixture(scope="session")
def bundle():
    """whisper-tiny.en, loaded once for the whole session."""
    from labs.x2_multimodal.lab02.whisper_model import load_whisper

    return load_whisper()


@pytest.fixture(scope="session")
def clips() -> list[dict]:
    return json.loads((CLIPS / "clips.json").read_text(encoding="utf-8"))
