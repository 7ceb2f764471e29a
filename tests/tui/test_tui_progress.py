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
