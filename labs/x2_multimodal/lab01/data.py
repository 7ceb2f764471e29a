"""Lab 01's view of the grammar universe and the icons: texts, text ids, prompts, icon sets.

A *text id* is a row of `distinct_texts()` (298 rows: "I read" and "you read" each stand for
a present and a past form). Retrieval is scored against these rows, so an icon of "I read"
(past) is right when it retrieves the one text "I read", whichever tense it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from labs.x2_multimodal import grammar
from labs.x2_multimodal.icons import make_icons


@cache
def _distinct_texts() -> tuple[str, ...]:
    return tuple(grammar.distinct_texts())


def distinct_texts() -> list[str]:
    """Every verb-form text once, in the grammar's order of first appearance."""
    return list(_distinct_texts())


@cache
def form_to_text() -> np.ndarray:
    """(300,) int64: the text id of each form index."""
    row = {text: i for i, text in enumerate(_distinct_texts())}
    return np.array([row[t] for t in grammar.texts()], dtype=np.int64)


def verb_names() -> list[str]:
    return list(grammar.VERBS)


def verb_prompts() -> list[str]:
    """One prompt per verb for zero-shot classification: "I will <verb>", the bare infinitive."""
    return [f"I will {verb}" for verb in grammar.VERBS]


def texts_of_verb(verb: int) -> list[str]:
    """The distinct texts of one verb's 15 forms (13 for "read": "I read", "you read" twice)."""
    forms = [f for f in grammar.all_forms() if f.verb_index == verb]
    return list(dict.fromkeys(f.text for f in forms))


@dataclass
class IconSet:
    images: np.ndarray  # (N, 32, 32) float32 in [0, 1]
    forms: np.ndarray  # (N,) int64 form index 0..299
    text_ids: np.ndarray  # (N,) int64 row of distinct_texts()
    verbs: np.ndarray  # (N,) int64 verb class 0..19


def make_icon_set(n: int, seed: int, split: str = "train") -> IconSet:
    """`n` icons from the chapter's generator (`split` "train" or "heldout") with labels."""
    icons = make_icons(n, seed, size=32, split=split)
    return IconSet(
        images=icons.images, forms=icons.form, text_ids=form_to_text()[icons.form], verbs=icons.verb
    )


def training_icons(n: int, seed: int) -> IconSet:
    """The training pool; held-out icons come from the generator's "heldout" stream.

    Drawing 12,000 icons takes seconds, and the checks train twice from the same seed in one
    process, so the last pool is kept; read-only, so no training run can change the next one's.
    """
    return _last_pool(int(n), int(seed))


@lru_cache(maxsize=1)
def _last_pool(n: int, seed: int) -> IconSet:
    icons = make_icon_set(n, seed, split="train")
    for array in (icons.images, icons.forms, icons.text_ids, icons.verbs):
        array.setflags(write=False)
    return icons
