"""The lab screen's hint key: the next graded hint of the current task, recorded."""

from __future__ import annotations

import pytest

from harness.chapter import load_chapter
from harness.learning.hints import load_hints
from harness.tui.screens.lab import LabScreen

LEARNER = "ana"
pytestmark = pytest.mark.anyio


async def test_h_reveals_the_next_hint_of_the_current_task_and_records_it(make, store):
    chapter = load_chapter()  # the real one: its hints.yaml names every task
    app = make(chapter=chapter)
    hints = load_hints(chapter.lab("lab-00"))["patchify"].hints
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        for level in (1, 2, 3, 3):  # the third is the last: pressing again reveals nothing new
            await pilot.press("h")
            await pilot.pause()
            assert store.hints_revealed(LEARNER, "lab-00", "patchify") == level
        shown = [n.message for n in app._notifications]
        assert hints[0] in shown[0] and hints[1] in shown[1] and hints[2] in shown[2]
