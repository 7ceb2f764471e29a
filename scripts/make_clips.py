"""Make lab 02's speech clips once with espeak-ng (`apt-get install espeak-ng`).

Writes labs/x2_multimodal/lab02/clips/NN-<verb>.wav (16 kHz mono 16-bit PCM) and clips.json
(file, text, verb, person, tense). The clips are committed; run this again only to change
them:  PYTHONPATH=. .venv/bin/python scripts/make_clips.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from labs.x2_multimodal.lab02.audio import read_wav, write_wav

CLIPS_DIR = Path(__file__).resolve().parents[1] / "labs" / "x2_multimodal" / "lab02" / "clips"
# Sentences from the grammar universe: verb, person (I / you / she), tense.
SENTENCES = [
    ("She will walk to school tomorrow.", "walk", "she", "future"),
    ("I am swimming.", "swim", "I", "present continuous"),
    ("You cooked dinner yesterday.", "cook", "you", "past simple"),
    ("She reads books every day.", "read", "she", "present simple"),
    ("I wrote a letter.", "write", "I", "past simple"),
    ("You will sing a song.", "sing", "you", "future"),
    ("She is eating bread.", "eat", "she", "present continuous"),
    ("I drank some water.", "drink", "I", "past simple"),
    ("You open the door.", "open", "you", "present simple"),
    ("She has cleaned the kitchen.", "clean", "she", "present perfect"),
    ("You are running fast.", "run", "you", "present continuous"),
    ("I will see you tomorrow.", "see", "I", "future"),
]
# Sentences espeak-ng renders so that tiny.en mishears them, left out on purpose (see
# bench/RESULTS-lab02.md): "She reads a book every day." (-> "my book"), "I have written a
# letter." (-> "I have read the letter"), "She is eating an apple." (-> "leaving").
VOICE, WORDS_PER_MINUTE, PEAK = "en-us", 140, 0.8


def synthesise(text: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"  # espeak-ng writes 22,050 Hz
        subprocess.run(
            ["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), text],
            check=True,
        )
        audio = read_wav(raw, target_rate=16_000)
    audio = audio / max(float(np.abs(audio).max()), 1e-9) * PEAK
    write_wav(out, audio, 16_000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=CLIPS_DIR)
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        print("espeak-ng not found; install it with `apt-get install espeak-ng`", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    index = []
    for i, (text, verb, person, tense) in enumerate(SENTENCES):
        name = f"{i:02d}-{verb}.wav"
        synthesise(text, args.out / name)
        index.append({"file": name, "text": text, "verb": verb, "person": person, "tense": tense})
        print(f"{name}: {text}")
    (args.out / "clips.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
