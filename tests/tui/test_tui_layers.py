"""Start-up stays light: the TUI never pulls in torch or transformers, and the data layer
never pulls in textual. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_tui_app_imports_without_torch_or_transformers():
    loaded = modules_after("import harness.tui.app")
    assert "textual" in loaded
    assert "torch" not in loaded
    assert "transformers" not in loaded


def test_building_the_app_does_not_import_the_engines():
    """checks/runs/quiz load when a screen needs them, not at start-up."""
    loaded = modules_after(
        "from harness.store import Store\nfrom harness.tui.app import make_app\n"
        "make_app(store=Store.memory())"
    )
    assert (
        not {
            "torch",
            "transformers",
            "harness.grading.checks",
            "harness.grading.runs",
            "harness.learning.quiz",
        }
        & loaded
    )


@pytest.mark.parametrize(
    "module",
    [
        "harness.store",
        "harness.chapter",
        "harness.progress",
        "harness.grading.checks",
        "harness.learning.quiz",
        "harness.grading.runs",
    ],
)
def test_the_data_layer_never_imports_textual(module):
    assert "textual" not in modules_after(f"import {module}")


def test_the_cli_imports_textual_only_for_the_tui_command():
    assert "textual" not in modules_after("import harness.cli")


# What the home screen does not need; each loads when the learner first opens what uses it.
NOT_BEFORE_FIRST_USE = {
    "numpy",
    "matplotlib",
    "torch",
    "transformers",
    "markdown_it",  # the reader's Markdown
    "fsrs",  # spaced review
    "watchfiles",  # watch mode
    "harness.grading",
    "harness.cohort",
    "harness.learning.quiz",
    "harness.learning.review",
    "harness.learning.mastery",
    "harness.learning.variants",
    "harness.watch",
    "harness.tui.palette",  # the command palette's provider: when ctrl+p first opens
    "harness.tui.screens.reader",
    "harness.tui.screens.lab",
    "harness.tui.screens.lab_watch",
    "harness.tui.screens.quiz",
    "harness.tui.screens.review",
    "harness.tui.screens.reflections",
    "harness.tui.screens.learners",
    "harness.tui.screens.mentor",
    "harness.tui.widgets.metric_plot",
    "harness.tui.widgets.solution_view",
}

FIRST_FRAME = """
import asyncio
from harness.store import Store
from harness.tui.app import make_app

async def first_frame():
    store = Store.memory()
    store.add_learner("ana")
    app = make_app(store=store, learner="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"

asyncio.run(first_frame())
"""


def loaded_packages(loaded: set[str]) -> set[str]:
    """The entries of NOT_BEFORE_FIRST_USE that are loaded, themselves or a module under them."""
    return {
        name
        for name in NOT_BEFORE_FIRST_USE
        for m in loaded
        if m == name or m.startswith(f"{name}.")
    }


def test_importing_the_app_leaves_the_other_screens_and_engines_unloaded():
    loaded = modules_after("import harness.tui.app")
    assert "harness.tui.screens.home" in loaded  # the first screen itself is needed
    assert loaded_packages(loaded) == set()


def test_the_first_frame_leaves_the_other_screens_and_engines_unloaded(tmp_path):
    """Home drawn and the app idle: still nothing of what home does not show."""
    loaded = modules_after(
        f"import os\nos.environ['HARNESS_LEARNERS'] = {str(tmp_path)!r}\n" + FIRST_FRAME
    )
    assert "harness.progress" in loaded
    assert loaded_packages(loaded) == set()
