"""Lab 02: whisper-tiny.en load time, converting vs reading the safetensors cache.

    PYTHONPATH=. .venv/bin/python bench/lab02_load.py

Loads twice in one process into a fresh temporary cache folder (torch and transformers are
imported first, so only the loader is timed).
"""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import torch  # noqa: F401 - imported before timing on purpose
    import transformers  # noqa: F401

    from labs.x2_multimodal.lab02 import whisper_model

    with tempfile.TemporaryDirectory() as cache:
        for label in ("convert + write cache", "read cache"):
            whisper_model._load_whisper.cache_clear()
            start = time.perf_counter()
            bundle = whisper_model.load_whisper(cache=cache)
            print(f"{label}: {time.perf_counter() - start:.2f} s (from_cache={bundle.from_cache})")


if __name__ == "__main__":
    main()
