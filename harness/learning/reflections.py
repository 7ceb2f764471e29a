"""When a reflection counts for the Definition of Done.

A reflection counts when it reaches the chapter's minimum length (`min_words` in
chapter.yaml), mentions the prompt's subject (any of the prompt's `subject` terms, as a word
or phrase), and no mentor has marked its latest version "needs work". A "needs work" mark holds
until the learner saves a revision (or a mentor marks it ok); its feedback is shown to the
learner in the DoD detail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from harness.chapter import Chapter, Reflection
from harness.store import Store


@dataclass(frozen=True)
class ReflectionState:
    done: bool
    detail: str  # what the learner reads beside the DoD item
    words: int
    needs_work: str | None = None  # the mentor's feedback while a "needs work" mark holds


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", text).strip()


def word_count(text: str) -> int:
    return len(text.split())


def mentions(text: str, terms: tuple[str, ...]) -> bool:
    """Does the text name any of the terms? Case, hyphens and a plural 's' do not matter."""
    if not terms:
        return True
    folded = f" {_fold(text)} "
    return any(re.search(rf" {re.escape(_fold(t))}s? ", folded) for t in terms)


def assess(
    prompt: Reflection,
    text: str,
    *,
    min_words: int,
    version: int | None = None,
    mark: dict | None = None,
) -> ReflectionState:
    """Pure: the DoD state of one reflection from its latest text, version and mentor mark."""
    text = text.strip()
    n = word_count(text)
    if not text:
        return ReflectionState(False, "not written", 0)
    if (
        mark is not None
        and mark["verdict"] == "needs_work"
        and version is not None
        and mark["version"] >= version
    ):
        feedback = mark["feedback"]
        return ReflectionState(
            False, f"needs work ({mark['mentor']}): {feedback}; revise and save it", n, feedback
        )
    counted = f"{n} word" if n == 1 else f"{n} words"
    if n < min_words:
        return ReflectionState(False, f"{counted} of the {min_words} needed", n)
    if not mentions(text, prompt.subject):
        about = " or ".join(f"'{t}'" for t in prompt.subject)
        return ReflectionState(False, f"{counted}, but it does not mention {about} yet", n)
    return ReflectionState(True, counted, n)


def reflection_state(
    store: Store, chapter: Chapter, learner: str, prompt: Reflection
) -> ReflectionState:
    versions = store.reflection_versions(learner, prompt.id)
    latest = versions[-1] if versions else None
    return assess(
        prompt,
        latest["text"] if latest else "",
        min_words=chapter.reflection_min_words,
        version=latest["version"] if latest else None,
        mark=store.reflection_marks(learner).get(prompt.id),
    )


def mark_reflection(
    store: Store,
    chapter: Chapter,
    learner: str,
    prompt_id: str,
    *,
    mentor: str,
    feedback: str,
    needs_work: bool = True,
) -> int:
    """A mentor's mark on the latest version; "needs work" reopens its DoD item. The CLI
    (`harness review mark`) and the mentor views call this."""
    known = [p.id for p in chapter.reflections]
    if prompt_id not in known:
        raise KeyError(f"unknown reflection '{prompt_id}'; known: {', '.join(known)}")
    verdict = "needs_work" if needs_work else "ok"
    return store.mark_reflection(learner, prompt_id, mentor, verdict, feedback)
