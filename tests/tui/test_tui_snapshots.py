"""Screenshots of the main screens (pytest-textual-snapshot). Deterministic: a fixed learner,
fixture pages and quiz bank, a fixed quiz seed, no clock, notifications cleared.

Regenerate only after looking at the report: pytest tests/tui --snapshot-update
"""

from __future__ import annotations

import pytest

from harness.store import CheckResult

from .conftest import LEARNER


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    # A blinking cursor is caught on or off depending on the machine's load: hold it on.
    for field in pilot.app.screen.query("Input, TextArea"):
        field.cursor_blink = False
    await pilot.pause()


def command(line: str):
    async def run_before(pilot) -> None:
        pilot.app.run_command_line(line)
        await settle(pilot)

    return run_before


@pytest.fixture
def some_progress(store):
    store.record_page(LEARNER, "theory-00", "completed")
    store.record_page(LEARNER, "theory-01", "completed")
    store.save_reflection(
        LEARNER,
        "fusion",
        "Late fusion for retrieval; early fusion when the modalities must talk before pooling.",
    )
    store.add_feedback(LEARNER, "mo", "lab-00", "Good start: check your patch order.")


def test_home(snap_compare, make, some_progress):
    assert snap_compare(make(), terminal_size=(120, 40), run_before=settle)


def test_home_80x24(snap_compare, make, some_progress):
    assert snap_compare(make(), terminal_size=(80, 24), run_before=settle)


def test_reader(snap_compare, make, some_progress):
    assert snap_compare(make(), terminal_size=(120, 40), run_before=command("/read theory-02"))


def test_reader_locked_80x24(snap_compare, make):
    assert snap_compare(make(), terminal_size=(80, 24), run_before=command("/read theory-03"))


def test_reflections(snap_compare, make, some_progress):
    assert snap_compare(make(), terminal_size=(120, 40), run_before=command("/reflect"))


def test_quiz(snap_compare, make):
    assert snap_compare(make(), terminal_size=(120, 40), run_before=command("/quiz X2"))


def test_lab_after_a_check(snap_compare, make, store, some_progress, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the learner's file is shown relative to here
    results = [
        CheckResult("test_patch_shapes", "patchify", "pass", "", 0.01),
        CheckResult(
            "test_patch_values",
            "patchify",
            "fail",
            "patches[0, 0, :3] = [0.5 0.5 0.5], expected [0.25 0.25 0.25]",
            0.02,
        ),
    ]
    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=results,
        message="1 of 2 checks failed",
        output_tail=".F\n1 failed, 1 passed in 0.03s",
        duration_s=1.5,
    )
    assert snap_compare(make(), terminal_size=(120, 40), run_before=command("/lab lab-00"))
