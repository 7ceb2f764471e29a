"""The closed grammar universe every lab of chapter X2 speaks: 20 verbs x 5 tenses x 3 persons.

"We add modalities, not vocabulary": lab 00 draws these 300 verb forms as icons, lab 01 pairs
the icons with their texts, and later labs say them aloud. Nothing outside this module invents
a new word, so a model's vocabulary is known in advance and every label is an index.

A form's index is ``verb * 15 + tense * 3 + person`` (verb-major), so
``form_from_index(i).index == i`` for every ``i`` in ``range(300)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

VERBS: tuple[str, ...] = (
    "walk",
    "talk",
    "play",
    "cook",
    "open",
    "jump",
    "watch",
    "clean",
    "eat",
    "drink",
    "run",
    "see",
    "go",
    "write",
    "read",
    "sing",
    "sleep",
    "swim",
    "give",
    "take",
)
TENSES: tuple[str, ...] = (
    "present simple",
    "past simple",
    "future simple",
    "present progressive",
    "present perfect",
)
PERSONS: tuple[str, ...] = ("I", "you", "she")

N_VERBS, N_TENSES, N_PERSONS = len(VERBS), len(TENSES), len(PERSONS)
N_FORMS = N_VERBS * N_TENSES * N_PERSONS  # 300

# Irregular past simple and past participle; every verb not listed here adds "-ed".
_PAST: dict[str, str] = {
    "eat": "ate",
    "drink": "drank",
    "run": "ran",
    "see": "saw",
    "go": "went",
    "write": "wrote",
    "read": "read",
    "sing": "sang",
    "sleep": "slept",
    "swim": "swam",
    "give": "gave",
    "take": "took",
}
_PARTICIPLE: dict[str, str] = {
    "eat": "eaten",
    "drink": "drunk",
    "run": "run",
    "see": "seen",
    "go": "gone",
    "write": "written",
    "read": "read",
    "sing": "sung",
    "sleep": "slept",
    "swim": "swum",
    "give": "given",
    "take": "taken",
}
# Spelling of the -ing form: a doubled final consonant or a dropped silent "e".
_ING: dict[str, str] = {
    "run": "running",
    "swim": "swimming",
    "write": "writing",
    "take": "taking",
    "give": "giving",
}
# Third person singular present: "-es" after sibilants and for "go"; "-s" otherwise.
_THIRD: dict[str, str] = {"watch": "watches", "go": "goes"}

_BE: dict[str, str] = {"I": "am", "you": "are", "she": "is"}
_HAVE: dict[str, str] = {"I": "have", "you": "have", "she": "has"}


def _past(verb: str) -> str:
    return _PAST.get(verb, verb + "ed")


def _participle(verb: str) -> str:
    return _PARTICIPLE.get(verb, verb + "ed")


def _ing(verb: str) -> str:
    return _ING.get(verb, verb + "ing")


def _third(verb: str) -> str:
    return _THIRD.get(verb, verb + "s")


@dataclass(frozen=True)
class VerbForm:
    """One verb in one tense for one person, e.g. ``VerbForm("eat", "present perfect", "she")``."""

    verb: str
    tense: str
    person: str

    def __post_init__(self) -> None:
        for value, known, what in (
            (self.verb, VERBS, "verb"),
            (self.tense, TENSES, "tense"),
            (self.person, PERSONS, "person"),
        ):
            if value not in known:
                raise ValueError(f"unknown {what} {value!r}; known: {', '.join(known)}")

    @property
    def verb_index(self) -> int:
        return VERBS.index(self.verb)

    @property
    def tense_index(self) -> int:
        return TENSES.index(self.tense)

    @property
    def person_index(self) -> int:
        return PERSONS.index(self.person)

    @property
    def index(self) -> int:
        """Position in ``all_forms()``: ``verb * 15 + tense * 3 + person``, in 0..299."""
        return (self.verb_index * N_TENSES + self.tense_index) * N_PERSONS + self.person_index

    @property
    def text(self) -> str:
        """The English clause, e.g. "she has eaten", "I am swimming", "you will go"."""
        p, v = self.person, self.verb
        if self.tense == "present simple":
            return f"{p} {_third(v) if p == 'she' else v}"
        if self.tense == "past simple":
            return f"{p} {_past(v)}"
        if self.tense == "future simple":
            return f"{p} will {v}"
        if self.tense == "present progressive":
            return f"{p} {_BE[p]} {_ing(v)}"
        return f"{p} {_HAVE[p]} {_participle(v)}"  # present perfect

    @property
    def words(self) -> list[str]:
        return self.text.split()


@cache
def all_forms() -> tuple[VerbForm, ...]:
    """The 300 forms in index order (verb-major, then tense, then person)."""
    return tuple(VerbForm(v, t, p) for v in VERBS for t in TENSES for p in PERSONS)


def form_from_index(index: int) -> VerbForm:
    """The form whose ``.index`` is ``index``; raises ``IndexError`` outside 0..299."""
    if not 0 <= int(index) < N_FORMS:
        raise IndexError(f"form index {index} out of range; expected 0..{N_FORMS - 1}")
    return all_forms()[int(index)]


def form_index(verb: int, tense: int, person: int) -> int:
    """The form index of (verb, tense, person) class indices."""
    return (verb * N_TENSES + tense) * N_PERSONS + person


def verb_of(forms: np.ndarray) -> np.ndarray:
    """Verb class (0..19) of each form index; works elementwise on any integer array."""
    return np.asarray(forms) // (N_TENSES * N_PERSONS)


def tense_of(forms: np.ndarray) -> np.ndarray:
    """Tense class (0..4) of each form index."""
    return (np.asarray(forms) // N_PERSONS) % N_TENSES


def person_of(forms: np.ndarray) -> np.ndarray:
    """Person class (0..2) of each form index."""
    return np.asarray(forms) % N_PERSONS


def texts(forms: np.ndarray | list[int] | None = None) -> list[str]:
    """The text of each form index (all 300 in index order when ``forms`` is None)."""
    if forms is None:
        return [f.text for f in all_forms()]
    return [form_from_index(int(i)).text for i in np.asarray(forms).ravel()]


def coinciding_texts() -> dict[str, tuple[VerbForm, ...]]:
    """Texts shared by more than one form, each with the forms that share it.

    Only "read" has the same spelling in the present and the past, and only without the
    "-s" of "she": "I read" and "you read" are each two forms. A text-only model cannot tell
    those apart; an icon can, which is one small argument for a second modality.
    """
    by_text: dict[str, list[VerbForm]] = {}
    for form in all_forms():
        by_text.setdefault(form.text, []).append(form)
    return {t: tuple(fs) for t, fs in by_text.items() if len(fs) > 1}


def distinct_texts() -> list[str]:
    """Every text once, in the order of first appearance in ``all_forms()`` (298 texts)."""
    return list(dict.fromkeys(texts()))


def vocabulary() -> list[str]:
    """Every word token used by any form, sorted (pronouns, auxiliaries and verb forms)."""
    return sorted({w for form in all_forms() for w in form.words})
