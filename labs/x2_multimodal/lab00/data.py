"""Lab 00's view of the icon data set: images plus one integer label array per head."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from labs.x2_multimodal import grammar
from labs.x2_multimodal.icons import SPLITS, make_icons

# The classifier heads of each training target; "form" is right only when all three are.
HEADS: dict[str, tuple[tuple[str, int], ...]] = {
    "verb": (("verb", grammar.N_VERBS),),
    "form": (("verb", grammar.N_VERBS), ("tense", grammar.N_TENSES), ("person", grammar.N_PERSONS)),
}
LABELS = ("verb", "tense", "person", "form")


def icon_dataset(n: int, seed: int, split: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`n` icons (n, 32, 32) float32 in [0, 1] and {"verb", "tense", "person", "form"} int64 labels.

    `split` is one of icons.SPLITS ("train", "heldout"): a model trains on ("train", seed),
    watches its progress on ("heldout", seed), and is scored on ("heldout", other seed).
    The last few sets of up to CACHED_MAX icons are kept, so a second `train` in the same
    process (the checks train three times with one seed) does not draw its 10,000 icons
    again; each call gets its own copy to change.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    if n > CACHED_MAX:
        return _draw(int(n), int(seed), split)
    images, labels = _drawn(int(n), int(seed), split)
    return images.copy(), {name: value.copy() for name, value in labels.items()}


CACHED_MAX = 20_000  # 80 MB of float32 icons; four kept sets stay well inside a worker's memory


@lru_cache(maxsize=4)  # a train set, a validation set, the checks' held-out set and a spare
def _drawn(n: int, seed: int, split: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return _draw(n, seed, split)


def _draw(n: int, seed: int, split: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    icons = make_icons(n, seed, size=32, split=split)
    labels = {name: np.asarray(getattr(icons, name), dtype=np.int64) for name in LABELS}
    return icons.images, labels
