"""Watch mode in the lab screen, driven the way a learner drives it: save a wrong file and
see the failure; save the right one and see the pass, the next task and the reference
solution beside their code, without pressing a key to re-check."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Select, Static, TabbedContent

import harness.tui.screens.lab_watch as lab_screen
from harness.learners import lab_dir
from harness.store import CheckResult
from harness.tui.screens.lab import LabScreen
from harness.tui.widgets.solution_view import SolutionView

from .conftest import LEARNER

pytestmark = pytest.mark.anyio

WRONG = "def patchify(images, patch):\n    return 'wrong'\n"
RIGHT = "def patchify(images, patch):\n    return 'right'\n"


@pytest.fixture
def watched_chapter(chapter):
    """The fixture chapter, its tasks naming their functions (as the real one does)."""
    lab = chapter.lab("lab-00")
    tasks = tuple(dataclasses.replace(t, functions=(t.id,)) for t in lab.tasks)
    labs = tuple(
        dataclasses.replace(x, tasks=tasks) if x.id == "lab-00" else x for x in chapter.labs
    )
    return dataclasses.replace(chapter, labs=labs)


@pytest.fixture
def file_checks(monkeypatch):
    """A runner that grades the learner's file by what it returns, as the DoD suite would."""
    import harness.grading.checks as checks

    calls = []

    def run_checks(chapter, lab_id, *, learner=None, task=None, store=None, **kwargs):
        source = (lab_dir(learner, chapter, lab_id) / "tiny_vit.py").read_text()
        calls.append((task, source))
        ok = "'right'" in source
        results = [
            CheckResult(
                "test_patch_values",
                "patchify",
                "pass" if ok else "fail",
                "" if ok else "patchify returned 'wrong', expected 'right'",
                0.01,
            )
        ]
        status = "pass" if ok else "fail"
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl="learner",
            task=task,
            status=status,
            results=results,
            message="" if ok else "1 of 1 checks failed",
        )
        return checks.CheckOutcome(
            lab_id, "learner", task, status, results, "", "", 0.1, None, run_id
        )

    monkeypatch.setattr(checks, "run_checks", run_checks)
    monkeypatch.setattr(lab_screen, "WATCH_WITH_WATCHFILES", False)
    monkeypatch.setattr(lab_screen, "WATCH_POLL_S", 0.05)
    return calls


async def until(pilot, condition, what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_saving_rechecks_the_task_and_a_pass_moves_on(
    make, watched_chapter, file_checks, learners_root
):
    path = lab_dir(LEARNER, watched_chapter, "lab-00", learners_root) / "tiny_vit.py"
    app = make(chapter=watched_chapter)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LabScreen) and screen.watching
        assert "⟳ watching" in text(screen, "#lab-file")

        path.write_text(WRONG)
        await until(pilot, lambda: len(file_checks) == 1 and not app.jobs.busy, "a check")
        await pilot.pause()
        assert file_checks[0][0] == "patchify"  # the current task, not the whole lab
        assert "fail" in text(screen, "#check-summary")
        assert "expected 'right'" in text(screen, "#detail")

        path.write_text(RIGHT)
        await until(pilot, lambda: len(file_checks) == 2 and not app.jobs.busy, "a re-check")
        await pilot.pause()
        assert "✓ task patchify passes!" in text(screen, "#check-summary")
        assert "next: task attention" in text(screen, "#check-summary")
        assert screen.query_one("#task", Select).value == "attention"
        assert screen.query_one("#lab-tabs", TabbedContent).active == "solution-tab"
        view = screen.query_one("#solution", SolutionView)
        assert "return 'right'" in view.mine
        assert "def patchify" in view.reference and "return 'right'" not in view.reference
        assert "1/2 tasks" in text(screen, "#lab-title")


async def test_a_save_that_changes_nothing_checks_nothing(
    make, watched_chapter, file_checks, learners_root
):
    path = lab_dir(LEARNER, watched_chapter, "lab-00", learners_root) / "tiny_vit.py"
    app = make(chapter=watched_chapter)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        path.write_text(path.read_text())  # same bytes, new mtime
        await pilot.pause(0.3)
        assert file_checks == []
        await pilot.press("w")  # stop watching
        await pilot.pause()
        assert not app.screen.watching
        path.write_text(WRONG)
        await pilot.pause(0.3)
        assert file_checks == []


async def test_the_solution_key_refuses_a_task_that_does_not_pass(make, watched_chapter):
    app = make(chapter=watched_chapter)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one("#lab-tabs", TabbedContent).active == "checks-tab"
        assert any("pass a task first" in str(n.message) for n in app._notifications)
