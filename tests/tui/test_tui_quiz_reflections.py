"""Quiz and reflections, driven headless with Pilot."""

from __future__ import annotations

import sys

import pytest
from textual.widgets import Input, Static, TextArea

from harness.tui.screens.quiz import QuizScreen
from harness.tui.screens.reflections import ReflectionsScreen

from .conftest import LEARNER

pytestmark = pytest.mark.anyio

# The fixture bank's right answers, by question id (the draw order depends on the seed).
RIGHT = {"vit-patches": "16", "audio-frames": "300", "audio-name": " whisper. "}


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def answer(pilot, raw: str) -> None:
    field = pilot.app.screen.query_one("#quiz-answer", Input)
    field.value = raw
    await pilot.press("enter")
    await pilot.pause()


def current(screen: QuizScreen):
    return screen.attempt.questions[screen.current]


async def test_quiz_one_question_at_a_time_then_the_score(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        assert "Question 1 of 3" in text(screen, "#quiz-question")
        for i in range(3):
            presented = current(screen)
            raw = RIGHT[presented.question.id]
            if presented.question.kind == "single":
                raw = str(presented.choices.index("16") + 1)
            if i == 2:
                raw = "1" if presented.question.kind != "single" else raw
            await answer(pilot, raw)
            assert "correct" in text(screen, "#quiz-feedback")
            await pilot.press("enter")  # on to the next question (or the result)
            await pilot.pause()
        result = text(screen, "#quiz-question")
        attempt = store.quiz_attempts(LEARNER, "X2")[-1]
        assert attempt["status"] == "finished"
        assert f"{round(attempt['score'] * 100)}%" in result and "pass mark 80%" in result


async def test_invalid_answers_are_explained_and_not_scored(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        screen = app.screen
        kind = current(screen).question.kind
        bad = {"single": "7", "numeric": "1,5", "text": "   "}[kind]
        await answer(pilot, bad)
        assert "✗" in text(screen, "#quiz-feedback")
        assert screen.current == 0 and not screen.answered
        attempt_id = screen.attempt.attempt_id
        assert store.quiz_answers(attempt_id) == []


async def test_all_right_passes_and_a_wrong_answer_is_explained(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz")
        await pilot.pause()
        screen = app.screen
        wrong_id = None
        for _ in range(3):
            presented = current(screen)
            if presented.question.kind == "numeric":
                raw, wrong_id = "299", presented.question.id
            elif presented.question.kind == "single":
                raw = str(presented.choices.index("16") + 1)
            else:
                raw = RIGHT[presented.question.id]
            await answer(pilot, raw)
            await pilot.press("enter")
            await pilot.pause()
        result = text(screen, "#quiz-question")
        assert "Score 2/3 = 67% (pass mark 80%): not passed yet" in result
        assert wrong_id == "audio-frames"
        assert "3 s / 10 ms = 300 frames." in result
        assert "you answered 299" in result and "the answer is 300" in result


async def test_leaving_a_quiz_asks_and_abandons_only_when_told(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert store.quiz_attempts(LEARNER, "X2")[-1]["status"] == "in_progress"  # it asked
        await pilot.press("a")
        await pilot.pause()
        assert store.quiz_attempts(LEARNER, "X2")[-1]["status"] == "abandoned"
        assert not isinstance(app.screen, QuizScreen)


async def test_quiz_says_not_yet_available_without_the_engine(make, monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.learning.quiz", None)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        assert "not yet available" in text(app.screen, "#quiz-question")


async def test_a_broken_bank_is_reported(make, chapter, tmp_path):
    import dataclasses

    bad = tmp_path / "bad.yaml"
    bad.write_text("id: X2\n", encoding="utf-8")
    app = make(chapter=dataclasses.replace(chapter, quiz_bank=bad))
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        assert "The quiz cannot start: bad.yaml" in text(app.screen, "#quiz-question")


async def test_a_bank_error_quoting_brackets_is_shown_as_written(make, chapter, tmp_path):
    import dataclasses

    bad = tmp_path / "bad.yaml"
    bad.write_text('"[/x]": 1\nid: X2\n', encoding="utf-8")
    app = make(chapter=dataclasses.replace(chapter, quiz_bank=bad))
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        assert "unknown field '[/x]'" in text(app.screen, "#quiz-question")


async def test_reflections_autosave_versions_and_write_the_file(make, store, learners_root):
    app = make(autosave_delay=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/reflect")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReflectionsScreen)
        assert len(screen.query(TextArea)) == 3
        area = screen.query_one("#text-fusion", TextArea)
        for word in ("Late", " fusion"):  # two edits inside one debounce window
            area.insert(word)
        await pilot.pause(0.8)
        versions = store.reflection_versions(LEARNER, "fusion")
        assert [v["text"] for v in versions] == ["Late fusion"]  # one save, not one per edit
        await pilot.press(*" for retrieval")  # typed keys save too
        await pilot.pause(0.8)
        assert store.reflections(LEARNER)["fusion"] == "Late fusion for retrieval"
        assert len(store.reflection_versions(LEARNER, "fusion")) >= 2
        assert "· 4 words" in text(screen, "#saved-fusion")
        path = learners_root / LEARNER / "extension-X2" / "reflections.md"
        written = path.read_text(encoding="utf-8")
        assert "## fusion" in written and "Late fusion for retrieval" in written
        assert "## grammar-tutor" in written


async def test_leaving_reflections_saves_what_is_pending(make, store):
    app = make(autosave_delay=30)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/reflect")
        await pilot.pause()
        await pilot.press(*"draft")
        await pilot.press("escape")
        await pilot.pause()
        assert store.reflections(LEARNER) == {"fusion": "draft"}


async def test_reflections_load_the_latest_text(make, store):
    store.save_reflection(LEARNER, "whisper-attention", "It attends to the audio diagonal.")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/reflect")
        await pilot.pause()
        area = app.screen.query_one("#text-whisper-attention", TextArea)
        assert area.text == "It attends to the audio diagonal."
        await pilot.pause(0.2)
        assert len(store.reflection_versions(LEARNER, "whisper-attention")) == 1
