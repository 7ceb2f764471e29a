"""Per-task progress on the home and lab screens: a `--task` check counts (friction: after
patchify passed, home still said `0 passed, 11 failed`), and the next task is named."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from harness.store import CheckResult

from .conftest import LEARNER

pytestmark = pytest.mark.anyio


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_task_check_moves_home_and_the_lab_screen_on(make, store):
    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[
            CheckResult("test_patch", "patchify", "fail", "expected 0.25"),
            CheckResult("test_attn", "attention", "fail", "dx off"),
        ],
    )
    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task="patchify",
        status="pass",
        results=[CheckResult("test_patch", "patchify", "pass")],
    )
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        labs = text(app.screen, "#lab-progress")
        assert "lab-00  1/2 tasks · next: attention" in labs
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        title = text(app.screen, "#lab-title")
        assert "1/2 tasks" in title and "next: attention" in title
        assert "✓ patchify" in title and "✗ attention" in title


async def test_a_running_check_shows_i_of_n_elapsed_and_the_test(make, monkeypatch):
    """Friction: checks showed only "checking…" for 34-241 s."""
    import threading

    import harness.grading.checks as checks

    release = threading.Event()
    halfway = threading.Event()

    def run_checks(chapter, lab_id, *, on_progress=None, learner=None, store=None, **kw):
        on_progress(checks.CheckProgress(1, 3, "test_patch_shapes", "patchify", None, 0.1))
        on_progress(checks.CheckProgress(1, 3, "test_patch_shapes", "patchify", "pass", 0.4))
        on_progress(checks.CheckProgress(2, 3, "test_attention_grad", "attention", None, 0.5))
        halfway.set()
        release.wait(10)
        results = [CheckResult("test_patch_shapes", "patchify", "pass", "", 0.3)]
        return checks.CheckOutcome(
            lab_id, "learner", None, "pass", results, "", "", 1.0, None, None
        )

    monkeypatch.setattr(checks, "run_checks", run_checks)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command_line("/check lab-00")
        await pilot.pause()
        assert halfway.wait(10)
        for _ in range(20):
            await pilot.pause(0.05)
            if "2/3" in text(app.screen, "#check-now"):
                break
        now = text(app.screen, "#check-now")
        assert "2/3" in now and "0.5s" in now and "test_attention_grad" in now
        table = app.screen.query_one("#results")
        assert table.row_count == 1  # the finished test is in the table already
        assert "lab-00 check" in text(app.screen, "#job-status")
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.screen.query_one("#check-progress-row").display


async def test_e_opens_the_learners_file_in_their_editor(make, monkeypatch, learners_root):
    import contextlib
    import subprocess

    opened = []
    monkeypatch.setenv("VISUAL", "myeditor --wait")
    monkeypatch.setattr(subprocess, "run", lambda cmd, check=False: opened.append(cmd))
    app = make()
    monkeypatch.setattr(type(app), "suspend", lambda self: contextlib.nullcontext())
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        assert "tiny_vit.py" in text(app.screen, "#lab-file")
        await pilot.press("e")
        await pilot.pause()
    path = learners_root / LEARNER / "extension-X2" / "lab-00" / "tiny_vit.py"
    assert opened == [["myeditor", "--wait", str(path)]]


async def test_next_step_after_reading_a_lab_page_opens_its_next_task(make, store, monkeypatch):
    """Bug 2: after reading lab-00, `n` reopened the page forever."""
    import harness.grading.checks as checks

    calls = []

    def run_checks(chapter, lab_id, *, task=None, **kwargs):
        calls.append(task)
        return checks.CheckOutcome(lab_id, "learner", task, "fail", [], "", "", 0.1, None, None)

    monkeypatch.setattr(checks, "run_checks", run_checks)
    for page in ("theory-00", "theory-01", "theory-02", "theory-03", "theory-04", "lab-00"):
        store.record_page(LEARNER, page, "completed")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "/check lab-00 patchify" in text(app.screen, "#next-step")
        await pilot.press("n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == ["patchify"]


async def test_abandoning_says_how_many_answers_in_words(make, store):
    """Bug 10: `abandoned after 0 answer(s); they are kept`."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any("abandoned (no answers given" in m for m in messages), messages
        assert not any("answer(s)" in m for m in messages)


async def test_a_reread_hint_opens_the_page_at_its_section(make):
    """Friction: reread hints were plain text that opened the top of the page."""
    from textual.widgets import Input, OptionList

    from harness.tui.screens.reader import ReaderScreen

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        quiz = app.screen
        for _ in range(len(quiz.attempt.questions)):
            presented = quiz.attempt.questions[quiz.current]
            raw = "299" if presented.question.kind == "numeric" else "1"
            if presented.question.kind == "text":
                raw = "no idea"
            quiz.query_one("#quiz-answer", Input).value = raw
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
        rereads = quiz.query_one("#quiz-reread", OptionList)
        first = rereads.get_option_at_index(0)
        assert first.id.startswith("/read theory-0") and "#" in first.id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.section == first.id.split("#")[1]


async def test_toasts_stay_small_at_80x24(make):
    """Friction: toasts covered a third of an 80x24 screen."""
    from textual.widgets._toast import Toast

    app = make()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        for title in ("checks", "run", "quiz"):
            app.notify(
                "lab-00 checks: fail (1/2 passed), and a long message that wraps " * 2, title=title
            )
        await pilot.pause()
        await pilot.pause()
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 3
        covered = sum(t.region.width * t.region.height for t in toasts)
        assert covered <= 80 * 24 // 5, [t.region for t in toasts]
