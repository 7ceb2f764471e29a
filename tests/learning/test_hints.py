"""Graded hints: the data validates, `harness hint` reveals one at a time, the store and the
event chain record it, mentors can read it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from harness.chapter import load_chapter
from harness.cli import main
from harness.learning.hints import HintsError, load_hints
from harness.store import Store

CHAPTER = load_chapter()


@pytest.mark.parametrize("lab", CHAPTER.labs, ids=lambda lab: lab.id)
def test_every_task_has_a_nudge_a_pointer_and_a_page_section(lab):
    hints = load_hints(lab)
    assert set(hints) == {t.id for t in lab.tasks}
    for task_hints in hints.values():
        assert task_hints.hints[2].startswith("Page ")


def test_bad_hints_file_names_the_file_and_the_key(tmp_path, monkeypatch):
    lab = CHAPTER.lab("lab-00")
    bad = tmp_path / "hints.yaml"
    bad.write_text("patchify: [only one]\n", encoding="utf-8")
    monkeypatch.setattr("harness.learning.hints.hints_path", lambda lab: bad)
    with pytest.raises(HintsError, match=r"hints.yaml: key 'patchify' must be a list of three"):
        load_hints(lab)
    bad.write_text("no_such_task: [a, b, c]\n", encoding="utf-8")
    with pytest.raises(HintsError, match=r"unknown task key\(s\) \['no_such_task'\]"):
        load_hints(lab)


def test_hint_command_reveals_one_more_each_time_and_records_it(tmp_path, monkeypatch):
    db = tmp_path / "p.db"
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    runner = CliRunner()
    Store(db).add_learner("ana")
    args = ["--db", str(db), "hint", "lab-01", "--task", "info_nce", "--learner", "ana"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "hint 1/3 (nudge)" in first.output and "hint 2/3" not in first.output
    for _ in range(3):
        runner.invoke(main, args)
    shown = json.loads(runner.invoke(main, [*args, "--all", "--json"]).output)
    assert [h["kind"] for h in shown["hints"]] == ["nudge", "pointer", "page"]
    store = Store(db)
    assert store.hints_revealed("ana", "lab-01", "info_nce") == 3
    assert store.hints_used("ana") == [
        {"learner": "ana", "lab_id": "lab-01", "task": "info_nce", "hints": 3,
         "last_at": store.hints_used("ana")[0]["last_at"]}
    ]  # fmt: skip
    kinds = [e["kind"] for e in store.events("ana")]
    assert kinds.count("hint.revealed") == 3  # once per hint, however often it is shown
