"""Reflections that mean something: a minimum length, the prompt's subject, and a mentor's
"needs work" that reopens the Definition-of-Done item with the feedback shown."""

from __future__ import annotations

import dataclasses

import pytest

from harness.chapter import ManifestError, Reflection, load_chapter
from harness.learning.reflections import assess, mark_reflection, mentions
from harness.progress import compute_status
from harness.store import Store

CHAPTER = load_chapter()
FUSION = Reflection("fusion", "Which fusion strategy ...?", ("fusion",))


def _essay(n: int, about: str = "late fusion") -> str:
    return " ".join([about] + ["word"] * (n - len(about.split())))


def test_the_chapter_sets_a_minimum_and_a_subject_per_prompt():
    assert CHAPTER.reflection_min_words == 80
    assert all(p.subject for p in CHAPTER.reflections)


def test_too_short_or_off_subject_does_not_count():
    assert not assess(FUSION, "", min_words=80).done
    short = assess(FUSION, _essay(79), min_words=80)
    assert not short.done and short.detail == "79 words of the 80 needed"
    off = assess(FUSION, _essay(120, about="whatever"), min_words=80)
    assert not off.done and "does not mention 'fusion'" in off.detail
    assert assess(FUSION, _essay(80), min_words=80).done


def test_mentions_ignores_case_hyphens_and_plurals_but_not_substrings():
    assert mentions("Cross attention surprised me", ("cross-attention",))
    assert mentions("Both IMAGES were", ("image",))
    assert not mentions("I imagine that", ("image",))
    assert not mentions("confusion", ("fusion",))


@pytest.fixture
def store():
    s = Store.memory()
    s.add_learner("ana")
    yield s
    s.close()


def _entry(store, prompt_id):
    status = compute_status(store, CHAPTER, "ana")
    return next(e for e in status.dod if e.label == f"reflection: {prompt_id}")


def test_needs_work_reopens_the_item_until_the_learner_revises(store):
    store.save_reflection("ana", "fusion", _essay(90))
    assert _entry(store, "fusion").done
    mark_reflection(store, CHAPTER, "ana", "fusion", mentor="mia", feedback="say when late wins")
    entry = _entry(store, "fusion")
    assert not entry.done and "needs work (mia): say when late wins" in entry.detail
    store.save_reflection("ana", "fusion", _essay(95))  # a revision
    assert _entry(store, "fusion").done
    mark_reflection(store, CHAPTER, "ana", "fusion", mentor="mia", feedback="still vague")
    assert not _entry(store, "fusion").done
    mark_reflection(store, CHAPTER, "ana", "fusion", mentor="mia", feedback="", needs_work=False)
    assert _entry(store, "fusion").done
    kinds = [e["kind"] for e in store.events("ana")]
    assert kinds.count("reflection.marked") == 3


def test_marks_are_refused_where_they_cannot_mean_anything(store):
    with pytest.raises(KeyError, match="unknown reflection 'nope'; known: fusion"):
        mark_reflection(store, CHAPTER, "ana", "nope", mentor="mia", feedback="x")
    with pytest.raises(KeyError, match="has not written reflection 'fusion'"):
        mark_reflection(store, CHAPTER, "ana", "fusion", mentor="mia", feedback="x")
    store.save_reflection("ana", "fusion", "text")
    with pytest.raises(ValueError, match="say what needs work"):
        mark_reflection(store, CHAPTER, "ana", "fusion", mentor="mia", feedback="  ")


def test_a_bad_minimum_is_reported_with_file_and_key(tmp_path):
    text = CHAPTER.source.read_text(encoding="utf-8").replace("min_words: 80", "min_words: -3")
    bad = tmp_path / "chapter.yaml"
    bad.write_text(text, encoding="utf-8")
    for page in ("pages",):
        (tmp_path / page).symlink_to(CHAPTER.source.parent / page)
    with pytest.raises(ManifestError, match=r"chapter.yaml: reflections.min_words: expected"):
        load_chapter(bad)


def test_tasks_map_to_outcomes_of_the_bank():
    from harness.learning.quiz import load_bank

    outcomes = set(load_bank(CHAPTER.quiz_bank).outcomes)
    for lab in CHAPTER.labs:
        for task in lab.tasks:
            assert task.outcome in outcomes, (lab.id, task.id)
    assert dataclasses.replace(CHAPTER.labs[0].tasks[0]).outcome == "patchify"
