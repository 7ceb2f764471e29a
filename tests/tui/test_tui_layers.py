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
