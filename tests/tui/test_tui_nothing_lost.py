"""Issue 15, "nothing is lost by navigating": checks and runs outlive the lab screen, only an
explicit `x` stops them (with a question for a run), a cancelled check leaves the last real
result on screen, quiz attempts survive leaving and can be resumed with the same questions,
keys that record something ask first, and Textual's own toasts render their markup."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable, Input, Static

from harness.store import CheckResult
from harness.tui.screens.confirm import ConfirmScreen
from harness.tui.screens.home import HomeScreen
from harness.tui.screens.quiz import QuizScreen

from .conftest import LEARNER

pytestmark = pytest.mark.anyio


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.fixture
def slow_checks(monkeypatch):
    """A runner that waits until released (or cancelled), reporting progress as it goes."""
    import harness.grading.checks as checks

    release = threading.Event()
    started = threading.Event()
    calls = []

    def run_checks(
        chapter,
        lab_id,
        *,
        learner=None,
        task=None,
        store=None,
        cancel=None,
        on_output=None,
        **kwargs,
    ):
        calls.append(dict(task=task, cancel=cancel))
        started.set()
        on_output("collected 1 item")
        while not release.is_set():
            if cancel.wait(0.02):
                return checks.CheckOutcome(
                    lab_id,
                    "learner",
                    task,
                    "cancelled",
                    [],
                    "the check run was cancelled",
                    "",
                    0.1,
                    None,
                    None,
                )
        results = [CheckResult("test_patch", "patchify", "pass", "", 0.01)]
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl="learner",
            task=task,
            status="pass",
            results=results,
        )
        return checks.CheckOutcome(
            lab_id, "learner", task, "pass", results, "", "", 0.2, None, run_id
        )

    monkeypatch.setattr(checks, "run_checks", run_checks)
    return release, started, calls


async def test_leaving_the_lab_screen_does_not_cancel_a_check(make, store, slow_checks):
    """Bug 3: escape, /read or ctrl+l silently cancelled a running check."""
    release, started, calls = slow_checks
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await pilot.pause()
        assert started.wait(5)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert not calls[0]["cancel"].is_set()
        status = app.screen.query_one("#job-status", Static)
        assert status.display and "lab-00 check" in str(status.render())
        app.run_command_line("/read theory-00")
        await pilot.pause()
        assert "lab-00 check" in text(app.screen, "#job-status")  # on every screen
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not calls[0]["cancel"].is_set()
        assert store.last_check_run(LEARNER, "lab-00")["status"] == "pass"
        assert not app.screen.query_one("#job-status", Static).display
        await pilot.press("escape")  # home counts the task the background check passed
        await pilot.pause()
        assert "lab-00  1/2 tasks" in text(app.screen, "#lab-progress")
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        assert "last check (learner, all tasks): pass" in text(app.screen, "#check-summary")


async def test_reopening_the_lab_follows_the_running_check(make, slow_checks):
    release, started, _ = slow_checks
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await pilot.pause()
        assert started.wait(5)
        await pilot.press("escape")
        await pilot.pause()
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        screen = app.screen
        assert "checking ana's code" in text(screen, "#check-summary")
        assert not screen.query_one("#cancel").disabled
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "pass — 1 passed, 0 failed" in text(screen, "#check-summary")


async def test_a_cancelled_check_keeps_the_last_real_result_on_screen(make, store, slow_checks):
    """Bug 4 on the lab screen: after x the table showed an empty, cancelled run."""
    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[CheckResult("test_patch", "patchify", "fail", "expected 0.25")],
        message="1 failed",
    )
    _, started, _ = slow_checks
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await pilot.pause()
        assert started.wait(5)
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        summary = text(screen, "#check-summary")
        assert "check cancelled; last check (learner, all tasks): fail" in summary
        assert screen.query_one("#results", DataTable).row_count == 1
        assert "expected 0.25" in text(screen, "#detail")


@pytest.fixture
def slow_run(monkeypatch):
    import harness.grading.runs as runs

    started = threading.Event()
    seen = {}

    def run_lab(chapter, lab_id, *, cancel=None, on_output=None, **kwargs):
        seen["cancel"] = cancel
        started.set()
        cancel.wait(10)
        return runs.RunOutcome(None, "cancelled", {}, "the run was cancelled", 1.0)

    monkeypatch.setattr(runs, "run_lab", run_lab)
    return started, seen


async def test_stopping_a_training_run_asks_first(make, slow_run):
    started, seen = slow_run
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/run lab-00")
        await pilot.pause()
        assert started.wait(5)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not seen["cancel"].is_set()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert seen["cancel"].is_set()
        assert "run cancelled" in text(app.screen, "#run-status")


async def answer_one(pilot, screen) -> None:
    presented = screen.attempt.questions[screen.current]
    raw = "1" if presented.choices else "300"
    screen.query_one("#quiz-answer", Input).value = raw
    await pilot.press("enter")
    await pilot.pause()


async def test_a_kept_quiz_attempt_resumes_with_the_same_questions(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        screen = app.screen
        asked = [p.question.id for p in screen.attempt.questions]
        await answer_one(pilot, screen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")  # keep it for later
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert store.quiz_attempts(LEARNER, "X2")[-1]["status"] == "in_progress"
        app.run_command_line("/quiz X2")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 of 3 answered" in str(app.screen.query_one("#confirm-text", Static).render())
        await pilot.press("r")
        await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen)
        assert [p.question.id for p in quiz.attempt.questions] == asked
        assert quiz.current == 1 and len(quiz.attempt.feedback) == 1
        assert len(store.quiz_attempts(LEARNER, "X2")) == 1  # no new attempt recorded


async def test_navigating_away_from_a_quiz_keeps_the_attempt(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        app.run_command_line("/read theory-00")
        await pilot.pause()
        assert store.quiz_attempts(LEARNER, "X2")[-1]["status"] == "in_progress"


async def test_quitting_in_a_quiz_asks_first(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)


async def test_q_on_home_asks_before_recording_a_quiz_attempt(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert store.quiz_attempts(LEARNER, "X2") == []
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)


async def test_textuals_own_toasts_render_their_markup(make):
    """Bug 6: ctrl+c showed `Press [b]ctrl+q[/b] to quit the app`."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_help_quit()
        await pilot.pause()
        (hint,) = list(app._notifications)
        assert hint.message == "Press [b]ctrl+q[/b] to quit the app" and hint.markup
        app.clear_notifications()
        app.notify("learner output [/x] stays as written")
        await pilot.pause()
        assert not list(app._notifications)[-1].markup


async def test_a_stub_training_run_says_what_is_missing_not_a_traceback(make, monkeypatch):
    import harness.grading.runs as runs

    def run_lab(chapter, lab_id, *, on_output=None, **kwargs):
        on_output("Traceback (most recent call last):")
        on_output("NotImplementedError")
        return runs.RunOutcome(
            None,
            "failed",
            {},
            "the run the process exited with code 1: Traceback (most recent call last):\n"
            '  File "tiny_vit.py", line 170, in train\nNotImplementedError',
            0.4,
        )

    monkeypatch.setattr(runs, "run_lab", run_lab)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/run lab-00")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = text(app.screen, "#run-status")
        assert "run failed" in status and "not implemented yet" in status
        assert "Traceback" not in status and "the run the process" not in status


async def test_quitting_while_a_check_runs_asks_first(make, slow_checks):
    release, started, calls = slow_checks
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await pilot.pause()
        assert started.wait(5)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "lab-00 check still running will be stopped" in str(
            app.screen.query_one("#confirm-text", Static).render()
        )
        await pilot.press("n")
        await pilot.pause()
        assert not calls[0]["cancel"].is_set()
        release.set()
        await app.workers.wait_for_complete()
